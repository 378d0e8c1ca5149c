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
// For the day-2 commands (npm run ops): where to SSH to (the host key pinned), and the app's names.
export const ssh = deployed.ssh;
export const app = deployed.app;
