// Where things live on the host. One place, so scripts and components agree.
export function appRoot(app: string): string {
  return `/srv/${app}`;
}

export function releaseDir(app: string, releaseId: string): string {
  return `${appRoot(app)}/releases/${releaseId}`;
}

export function venvDir(app: string, venvId: string): string {
  return `${appRoot(app)}/venvs/${venvId}`;
}

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

/** Where the site program keeps its nginx config, pid, sockets and temporary files (root only). */
export function siteProgramDir(app: string, program: string): string {
  return `${appRoot(app)}/site/${program}`;
}

/** The front door's upstream: a link to the live site program's socket. */
export function siteLink(app: string): string {
  return `${appRoot(app)}/site/live.sock`;
}

/** The web program's own socket: unique per program, because gunicorn deletes whatever is at its path. */
export function socketPath(app: string, program: string): string {
  return `${appRoot(app)}/run/${program.slice(app.length + 1)}.sock`;
}

export function programLog(app: string, program: string): string {
  return `/var/log/${app}/${program}.log`;
}

/** Where the SSH user uploads a release's source: a directory only that user can write. */
export function uploadPath(app: string, releaseId: string): string {
  return `${appRoot(app)}/uploads/${releaseId}.tar.gz`;
}
