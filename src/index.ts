// The library: what another Pulumi program imports from "django-zero-downtime".
//
//   deployStack(loadConfig())        the whole deployment, as this repository's own stack does
//   new DjangoApp(name, { connection, hostId, app, site, database, … })
//                                    the app alone, on a host your program provides
//
// Templates (the scripts and config files run on the host) ship in the
// package's templates/ folder and are found from there.
export { deployStack, type DeployedStack } from "./stack";
export { DjangoApp, type DjangoAppArgs, type DatabaseSettings } from "./components/djangoApp";
export { Droplet, type DropletArgs, hostKeyFromSecret } from "./components/droplet";
export { ManagedDatabase, type ManagedDatabaseArgs } from "./components/managedDatabase";
export {
  appConfig,
  siteConfig,
  loadConfig,
  validateConfig,
  formatConfigErrors,
  type RawConfig,
  type Settings,
} from "./config/config";
export type {
  AppConfig,
  DatabaseConfig,
  DeployConfig,
  DropletHost,
  ExistingHost,
  HealthCheck,
  Job,
  Migrations,
  Secrets,
  SiteConfig,
} from "./config/types";
export type { SshTarget } from "./host/ssh";
