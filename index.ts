// The stack program: reads and checks the stack's config (nothing is created
// when it is invalid), then deploys. Everything else is the library in src/.
import "./src/quietShutdown";
import { deployStack, loadConfig } from "./src";

const deployed = deployStack(loadConfig());

export = {
  serverAddress: deployed.serverAddress,
  releaseId: deployed.releaseId,
  liveSocket: deployed.liveSocket,
  workers: deployed.workers,
  // Only with HTTPS on: an undefined output would warn on every up.
  ...(deployed.certificateExpiry ? { certificateExpiry: deployed.certificateExpiry } : {}),
  // For the day-2 commands (npm run ops): where to SSH to (the host key pinned), and the app's names.
  ssh: deployed.ssh,
  app: deployed.app,
};
