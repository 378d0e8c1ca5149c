// What serves the app: gunicorn, alone (WSGI) or with uvicorn's worker class (ASGI). Most apps'
// requirements do not list the server; the release adds these pinned packages to the venv when
// the app's own requirements lack them (templates/release.sh), and they are part of the venv id.
import { Interface } from "../source/entrypoint";

export type AppServer = "gunicorn-wsgi" | "gunicorn-uvicorn";

interface ServerFacts {
  /** Which application object it serves. */
  interface: Interface;
  /** gunicorn's -k, when not its own sync worker. */
  workerClass?: string;
  /** [module to import, pinned requirement] for each package the server needs. */
  packages: [string, string][];
}

const GUNICORN: [string, string] = ["gunicorn", "gunicorn==23.0.0"];

export const APP_SERVERS: Record<AppServer, ServerFacts> = {
  "gunicorn-wsgi": { interface: "wsgi", packages: [GUNICORN] },
  "gunicorn-uvicorn": {
    interface: "asgi",
    workerClass: "uvicorn_worker.UvicornWorker",
    packages: [GUNICORN, ["uvicorn", "uvicorn==0.38.0"], ["uvicorn_worker", "uvicorn-worker==0.4.0"]],
  },
};

export function appServer(name: string): ServerFacts {
  const facts = APP_SERVERS[name as AppServer];
  if (!facts) throw new Error(`app.server: expected "gunicorn-wsgi" or "gunicorn-uvicorn", got "${name}"`);
  return facts;
}

/** The release script's SERVER_PACKAGES: one "module requirement" per line. */
export function serverPackages(name: string): string {
  return appServer(name)
    .packages.map(([module, requirement]) => `${module} ${requirement}`)
    .join("\n");
}

/** gunicorn's arguments after its own: the worker class, if any, and the application. */
export function serverArgs(name: string, application: string): string {
  const { workerClass } = appServer(name);
  return workerClass ? `-k ${workerClass} ${application}` : application;
}
