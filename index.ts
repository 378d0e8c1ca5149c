// The stack program: reads and checks the stack's config (nothing is created
// when it is invalid), then deploys. Everything else is the library in src/.
import "./src/quietShutdown";
import { deployStack, loadConfig } from "./src";

const deployed = deployStack(loadConfig());

export const serverAddress = deployed.serverAddress;
export const releaseId = deployed.releaseId;
export const liveSocket = deployed.liveSocket;
export const workers = deployed.workers;
export const certificateExpiry = deployed.certificateExpiry;
