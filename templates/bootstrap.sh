#!/usr/bin/env bash
# Bootstrap the host: packages, app user, directories, PostgreSQL, supervisor, nginx
#
# Runs as root on a fresh Ubuntu 24.04 or Debian 12 host, with or without
# systemd, and again after any change of its inputs: every step is idempotent.
# Inputs: APP, DEPLOY_USER (the SSH login user), DB_LOCAL (1 or 0), DB_NAME,
# DB_USER, RELEASE_EXEC_SCRIPT (templates/release-exec.sh), APP_PACKAGES (app.packages, space
# separated: only ever installed, never removed); the app's places
# (ROOT and the directories in it, LOG_DIR, RELEASE_EXEC).
# stdin: the database role's password (one line).
set -euo pipefail
: "${DEPLOY_USER:?}" "${DB_LOCAL:?}" "${DB_NAME?}" "${DB_USER?}" "${RELEASE_EXEC_SCRIPT:?}" "${APP_PACKAGES?}"
: "${ROOT:?}" "${RELEASES_DIR:?}" "${VENVS_DIR:?}" "${BIN_DIR:?}" "${CACHE_DIR:?}" "${RUN_DIR:?}" "${UPLOADS_DIR:?}"
: "${LOG_DIR:?}" "${RELEASE_EXEC:?}"

packages=(nginx supervisor python3-venv python3-dev build-essential libpq-dev curl ca-certificates git)
if [[ $DB_LOCAL == 1 ]]; then packages+=(postgresql); fi
# Word splitting wanted: package names (checked by the config) separated by spaces.
# shellcheck disable=SC2206
packages+=($APP_PACKAGES)

wait_for_postgres() {
  for _ in $(seq 1 30); do
    pg_isready -q && return
    sleep 1
  done
  echo "PostgreSQL did not start within 30 s" >&2
  exit 1
}

# Set when this run installs PostgreSQL: its cluster is then this deploy's to configure.
postgres_installed_now=0

# While packages install, their scripts start, restart or reload no service: a module package's
# trigger reloads the running nginx, and a reload closes the front door's idle keep-alive
# connections. This script starts what it needs itself. A policy of the host's own stays as it is.
POLICY=/usr/sbin/policy-rc.d
POLICY_MARK="# django-zero-downtime: no service actions while the bootstrap installs packages"
deny_service_actions() {
  if [[ -e $POLICY ]] && ! grep -qxF "$POLICY_MARK" "$POLICY"; then return; fi
  install_file "#!/bin/sh
$POLICY_MARK
exit 101" "$POLICY" 755
  trap allow_service_actions EXIT
}

allow_service_actions() {
  if [[ -e $POLICY ]] && grep -qxF "$POLICY_MARK" "$POLICY"; then rm -f "$POLICY"; fi
}

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  [[ " ${missing[*]} " == *" postgresql "* ]] && postgres_installed_now=1
  # A fresh droplet's cloud-init may still be installing packages (and holding dpkg's lock).
  if command -v cloud-init >/dev/null; then
    echo "waiting for cloud-init to finish" >&2
    timeout 600 cloud-init status --wait >/dev/null 2>&1 || true
  fi
  echo "installing ${missing[*]}" >&2
  deny_service_actions
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (unattended-upgrades on a new server) is waited for, not failed on.
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  allow_service_actions
}

# The app's own unix user: made here, never one the host already had (root, the login user,
# another service's), which would hand that account the app's files and the app its rights.
app_user() {
  if ! id -u "$APP" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$ROOT" --no-create-home --shell /usr/sbin/nologin "$APP"
    return
  fi
  local entry
  entry=$(getent passwd "$APP")
  if [[ $(cut -d: -f6,7 <<<"$entry") != "$ROOT:/usr/sbin/nologin" || $(id -u "$APP") == 0 ]]; then
    echo "app.name \"$APP\": this host already has a user $APP that this deploy did not create ($entry); choose another app.name" >&2
    exit 1
  fi
}

prepare_layout() {
  app_user
  install -d -m 755 "$ROOT" "$RELEASES_DIR" "$VENVS_DIR" "$BIN_DIR" "$CACHE_DIR"
  install -d -m 755 -o "$APP" -g "$APP" "$RUN_DIR"
  # Release sources arrive here over SFTP as the login user, root or not.
  install -d -m 700 -o "$DEPLOY_USER" "$UPLOADS_DIR"
  # Program logs may hold what the app prints (tokens in URLs, tracebacks): root and the app only.
  install -d -m 750 -g "$APP" "$LOG_DIR"
  install_file "$RELEASE_EXEC_SCRIPT" "$RELEASE_EXEC" 755
}

setup_postgres() {
  local password hba_line
  IFS= read -r password || true
  [[ -n $password ]] || { echo "no database password on stdin" >&2; exit 1; }
  # Only the unix socket: nothing listens on the network. Written before the first start, so
  # the server never binds a TCP port. Only for a cluster this deploy installed (now, or on an
  # earlier run: then its setting is there already): one the host had may serve others too.
  local conf_dir listen="listen_addresses = ''" changed=0 clusters=()
  if ((postgres_installed_now)) || compgen -G "/etc/postgresql/*/main/conf.d/50-$APP.conf" >/dev/null; then
    clusters=(/etc/postgresql/*/main)
  else
    echo "PostgreSQL was on this host before: its listen_addresses is left as it is" >&2
  fi
  for conf_dir in "${clusters[@]}"; do
    if [[ $(cat "$conf_dir/conf.d/50-$APP.conf" 2>/dev/null) != "$listen" ]]; then
      install -d "$conf_dir/conf.d"
      printf '%s\n' "$listen" >"$conf_dir/conf.d/50-$APP.conf"
      changed=1
    fi
  done
  if ((changed)) && pg_isready -q 2>/dev/null; then restart_service postgresql; fi
  start_service postgresql
  wait_for_postgres
  # The app's unix user logs in as the role by peer authentication over the
  # socket, so a new password (set below, and given to the new release)
  # never locks out the release still serving while the new one starts.
  local hba ident map=djangozd-$APP reload=0
  hba=$(su postgres -c "psql -tAq -c 'SHOW hba_file'")
  ident=$(su postgres -c "psql -tAq -c 'SHOW ident_file'")
  hba_line="local $DB_NAME $DB_USER peer map=$map"
  if ! grep -qxF "$hba_line" "$hba"; then
    sed -i "/^local $DB_NAME $DB_USER /d" "$hba"
    sed -i "1i $hba_line" "$hba"
    reload=1
  fi
  if ! grep -qxF "$map $APP $DB_USER" "$ident"; then
    sed -i "/^$map /d" "$ident"
    echo "$map $APP $DB_USER" >>"$ident"
    reload=1
  fi
  if ((reload)); then reload_service postgresql; fi
  # SQL goes on stdin so the password never appears in a process list.
  su postgres -c "psql -q -v ON_ERROR_STOP=1" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN CREATE ROLE "$DB_USER" LOGIN; END IF;
END \$\$;
ALTER ROLE "$DB_USER" WITH LOGIN PASSWORD '${password//\'/\'\'}';
SQL
  if [[ -z $(su postgres -c "psql -tAq -c \"SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'\"") ]]; then
    su postgres -c "createdb --owner='$DB_USER' '$DB_NAME'"
  fi
}

setup_web() {
  start_service supervisor
  # The distribution's default site would shadow the app's front door: it goes, but only as the
  # package left it. One that was edited is someone's site: it stays (if it claims the same
  # address as default server, nginx -t says so and the deploy stops there).
  local stock
  stock=$(dpkg-query -W -f='${Conffiles}\n' nginx-common 2>/dev/null | awk '$1 == "/etc/nginx/sites-available/default" {print $2}')
  if [[ -L /etc/nginx/sites-enabled/default && $(readlink -f /etc/nginx/sites-enabled/default) == /etc/nginx/sites-available/default &&
    -n $stock && $(md5sum </etc/nginx/sites-available/default | cut -d" " -f1) == "$stock" ]]; then
    rm -f /etc/nginx/sites-enabled/default
    nginx -t -q
  elif [[ -e /etc/nginx/sites-enabled/default ]]; then
    echo "nginx's default site was changed on this host: left in place" >&2
  fi
  start_service nginx
}

main() {
  take_host_lock
  # Package scripts may start daemons (on hosts without systemd): they must not inherit the lock.
  install_packages 8>&-
  prepare_layout
  if [[ $DB_LOCAL == 1 ]]; then setup_postgres; fi
  setup_web
  echo "bootstrapped: $(nginx -v 2>&1), supervisor $(supervisord --version)"
}

main "$@"
