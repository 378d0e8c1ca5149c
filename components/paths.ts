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

export function socketPath(app: string, releaseId: string): string {
  return `${appRoot(app)}/run/web-${releaseId}.sock`;
}

export function programName(app: string, role: string, releaseId: string): string {
  return `${app}-${role}-${releaseId}`;
}

export function programLog(app: string, program: string): string {
  return `/var/log/${app}/${program}.log`;
}

/** Where the SSH user uploads a release's source: a directory only that user can write. */
export function uploadPath(app: string, releaseId: string): string {
  return `${appRoot(app)}/uploads/${releaseId}.tar.gz`;
}
