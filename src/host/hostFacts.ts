// Host facts: where things live on the host, what programs are called, and how
// long things may take. The components and the scripts in templates/ must
// agree on all of them, so they are defined here once and reach the scripts
// as inputs (render.ts); no template repeats them.

// ---------------------------------------------------------------- paths

/** The host lock's directory (templates/prelude.sh): only root may enter it. */
export const LOCK_DIR = "/run/djangozd";

/**
 * The app's places on the host. Every host script gets them (renderScript),
 * under these shell names; bootstrap.sh creates the directories.
 */
export function hostPaths(app: string) {
  const root = `/srv/${app}`;
  const dirs = {
    ROOT: root,
    /** One directory per release, never changed once complete. */
    RELEASES_DIR: `${root}/releases`,
    /** Venvs, shared by releases with the same requirements. */
    VENVS_DIR: `${root}/venvs`,
    /** Release sources as uploaded by the SSH user (only that user may write). */
    UPLOADS_DIR: `${root}/uploads`,
    /** The web programs' sockets and the live one's link; writable by the app. */
    RUN_DIR: `${root}/run`,
    /** The site programs' own files, and the front door's link to the live one. */
    SITE_DIR: `${root}/site`,
    /** Root's helpers: release-exec, migrate.py. */
    BIN_DIR: `${root}/bin`,
    /** pip's cache. */
    CACHE_DIR: `${root}/cache`,
    /** Tools the deploy installs outside the app's venv (the migration checker). */
    TOOLS_DIR: `${root}/tools`,
    /** app.sharedDirs (media uploads…): linked into every release, never pruned. */
    SHARED_DIR: `${root}/shared`,
    /** One tree of public files per release: its static files merged over the kept releases', and media links. */
    PUBLIC_TREES_DIR: `${root}/public-trees`,
    /** The maintenance page and its flag (npm run ops -- maintenance): nginx's to read. */
    MAINTENANCE_DIR: `${root}/maintenance`,
    /** pg_dump archives of a local database (database.backupSchedule): root only. */
    BACKUPS_DIR: `${root}/backups`,
    /** rclone's config for database.backupCopy, its access key included: root only (in BACKUPS_DIR). */
    BACKUP_COPY_CONFIG: `${root}/backups/.copy.rclone.conf`,
    /** Program logs: root and the app only. */
    LOG_DIR: `/var/log/${app}`,
    LOCK_DIR,
  };
  return {
    ...dirs,
    /** A link to the live release, for its static files and for people. */
    CURRENT_RELEASE: `${root}/current`,
    /** What nginx serves files from: a link to the live release's public tree, renamed on every switch. */
    PUBLIC_DIR: `${root}/public`,
    /** The site programs' upstream: a link to the live release's socket, renamed on every switch. */
    LIVE_RELEASE_SOCKET: `${dirs.RUN_DIR}/current.sock`,
    /** Runs a command inside a release (templates/release-exec.sh). */
    RELEASE_EXEC: `${dirs.BIN_DIR}/release-exec`,
    /** The certificate the HTTPS program serves (site.tls): root and nginx's workers only. */
    TLS_DIR: `${root}/tls`,
    /** Where certbot puts ACME's HTTP-01 answers; the site program serves them. */
    ACME_DIR: `${root}/acme`,
    /** Exists while HTTPS serves: the site program then redirects plain HTTP (checked per request, no reload). */
    HTTPS_FLAG: `${root}/tls/https-on`,
    /** Exists while the site is in maintenance: every request gets the page with 503 (checked per request). */
    MAINTENANCE_FLAG: `${root}/maintenance/on`,
    /** The page served with 503 while in maintenance. */
    MAINTENANCE_PAGE: `${root}/maintenance/page.html`,
  };
}

export function releaseDir(app: string, releaseId: string): string {
  return `${hostPaths(app).RELEASES_DIR}/${releaseId}`;
}

export function venvDir(app: string, venvId: string): string {
  return `${hostPaths(app).VENVS_DIR}/${venvId}`;
}

/** Where the SSH user uploads a release's source. */
export function uploadPath(app: string, releaseId: string): string {
  return `${hostPaths(app).UPLOADS_DIR}/${releaseId}.tar.gz`;
}

/** Where the site program keeps its nginx config, pid, sockets and temporary files (root only). */
export function siteProgramDir(app: string, program: string): string {
  return `${hostPaths(app).SITE_DIR}/${program}`;
}

/** The front door's upstream: a link to the live site program's socket. */
export function siteLink(app: string): string {
  return `${hostPaths(app).SITE_DIR}/live.sock`;
}

/** The web program's own socket: unique per program, because gunicorn deletes whatever is at its path. */
export function socketPath(app: string, program: string): string {
  return `${hostPaths(app).RUN_DIR}/${program.slice(app.length + 1)}.sock`;
}

export function programLog(app: string, program: string): string {
  return `${hostPaths(app).LOG_DIR}/${program}.log`;
}

// ---------------------------------------------------------------- names

/**
 * A supervisor program's name: app, role, release and `variant`, a digest of
 * everything else that defines the program (its rendered config, its checks,
 * the host). Whatever replaces a program changes its name, so the new one
 * never overwrites the live one. The release id stays second to last: prune
 * reads it back from log file names.
 */
export function programName(app: string, role: string, releaseId: string | undefined, variant: string): string {
  return releaseId ? `${app}-${role}-${releaseId}-${variant}` : `${app}-${role}-${variant}`;
}

// What programName makes of a release id and a variant, as a regular expression.
const RELEASE_ID_PATTERN = "[0-9a-f]{12}";
const VARIANT_PATTERN = "[0-9a-f]{8}";

/** A bash regex matching every program of one role of the app (a job's), of any release and variant. */
export function programPattern(app: string, role: string): string {
  return `^${app}-${role}-${RELEASE_ID_PATTERN}-${VARIANT_PATTERN}$`;
}

/** A bash regex matching every program of the app that runs a release: web and jobs, not the site's nginx. */
export function releaseProgramPattern(app: string): string {
  return programPattern(app, "[a-z0-9-]+");
}

// ---------------------------------------------------------------- time (seconds)

/** gunicorn kills a worker silent this long (--timeout): the longest request the app may serve. */
export const REQUEST_TIMEOUT = 120;
/** nginx (front door and site program) waits this long for an answer: a little past gunicorn's own limit. */
export const PROXY_READ_TIMEOUT = REQUEST_TIMEOUT + 10;
/** gunicorn lets requests in flight finish for this long after TERM (--graceful-timeout). */
export const GRACEFUL_TIMEOUT = 30;
/** The site program's nginx lets requests finish this long after QUIT: the longest a proxied one may take. */
export const SITE_SHUTDOWN_TIMEOUT = PROXY_READ_TIMEOUT + 5;
/** A job gets this long to finish its current loop after TERM (it has no grace of its own). */
export const JOB_STOP_TIMEOUT = 30;

/** How long supervisor waits past a program's own graceful stop before it kills. */
const STOP_MARGIN = 10;
/** supervisor's stopwaitsecs: the program's own graceful stop, then a margin. */
export const WEB_STOP_WAIT = GRACEFUL_TIMEOUT + STOP_MARGIN;
export const SITE_STOP_WAIT = SITE_SHUTDOWN_TIMEOUT + STOP_MARGIN;
export const JOB_STOP_WAIT = JOB_STOP_TIMEOUT;

/** How long a new site program has to answer its check. */
export const SITE_START_TIMEOUT = 30;
/** Seconds an ACME order may take (certbot's own HTTP timeouts and the validation included). */
export const ACME_TIMEOUT = 300;
/** How long a new job program has to reach RUNNING. */
export const JOB_START_TIMEOUT = 20;

// Beyond a program's start and stop: supervisord's own replies, the health
// check's last attempt (curl --max-time 10), the program's files.
const PROGRAM_STEP_MARGIN = 80;

/**
 * How long a program's step may run: its start (the health check; a singleton
 * job's start first stops the old one) and its stop (supervisor's stop wait),
 * and a margin. The delete step (the stop) runs under the same bound.
 */
export function programStepTimeout(startTimeout: number, stopWait: number): number {
  return startTimeout + stopWait + PROGRAM_STEP_MARGIN;
}

/** The longest steps: a fresh venv's pip install, migrations, a new host's packages. */
export const LONG_STEP_TIMEOUT = 1200;
/** A step that names no timeout of its own (a config file, a switch). */
export const DEFAULT_STEP_TIMEOUT = 900;
/** How long a step waits for the host lock before it fails: longer than any one step may take. */
export const LOCK_WAIT = LONG_STEP_TIMEOUT + 300;
/** A `pulumi refresh` check only reads. */
export const CHECK_TIMEOUT = 60;
