// NginxSite: the site in two parts, so that no change of the site's settings
// reloads the nginx that holds the clients' keep-alive connections (a reload
// closes idle ones, and a client that sends on one at that instant gets a
// reset).
//  - The front door: a site in the system nginx that holds only `listen` and
//    passes every request to the live site program through a stable symlink.
//  - The site program: an nginx of its own under supervisor, with the server
//    names, body size and static files, replaced like a release: started
//    beside the old one, checked, switched to by renaming the symlink, and
//    the old one stopped gracefully after.
// Traffic to the app goes through another symlink, renamed onto the new
// release's healthy socket (the upstream switch): no reload either.
import * as pulumi from "@pulumi/pulumi";
import { httpsEnabled, httpsPortSuffix } from "../config/https";
import { SiteConfig } from "../config/types";
import { HostCommand } from "../host/hostCommand";
import {
  hostPaths,
  programStepTimeout,
  PROXY_READ_TIMEOUT,
  SITE_SHUTDOWN_TIMEOUT,
  SITE_START_TIMEOUT,
  SITE_STOP_WAIT,
  siteLink,
  siteProgramDir,
} from "../host/hostFacts";
import { renderScript, renderTemplate } from "../host/render";
import { SshTarget } from "../host/ssh";
import { Https } from "./https";
import { defineProgram, supervisorProgram } from "./supervisorProgram";

export interface NginxSiteArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  site: SiteConfig;
  /** The healthy release's socket (GunicornService.socket). */
  socket: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
  /** The private key of site.tls.certificate (site.tls.mode "provided"). */
  tlsPrivateKey?: pulumi.Input<string>;
}

/** The system nginx's site: the front door, which only knows where to listen. */
export function renderFrontDoor(app: string, site: SiteConfig): string {
  return renderTemplate("nginx-front.conf", {
    APP: app,
    SITE_LINK: siteLink(app),
    LISTEN: site.listen,
    PROXY_READ_TIMEOUT,
  });
}

// With server names set, a request for any other name gets 421 Misdirected Request
// (not forwarded to Django: no Host header poisoning).
const CATCH_ALL = (socket: string) => `    server {
        listen unix:${socket} default_server;
        return 421;
    }
`;

// Where in the live public tree (templates/release.sh) nginx looks for a request's file before
// passing it to the app: "app" leaves static files to the app (whitenoise…), media still nginx's.
const TRY_FILES: Record<SiteConfig["static"], string> = {
  nginx: "/static$uri /media$uri",
  app: "/media$uri",
};

/**
 * The site program's part of HTTPS (site.tls): ACME's HTTP-01 answers from the webroot, a redirect
 * of plain HTTP once HTTPS serves (the flag file, checked per request: turning it on needs no
 * reload), and HSTS on HTTPS responses. The HTTPS program marks its requests X-Forwarded-Proto https.
 */
function httpsParts(app: string, site: SiteConfig): { maps: string; server: string } {
  if (!httpsEnabled(site)) return { maps: "", server: "" };
  const { ACME_DIR, HTTPS_FLAG } = hostPaths(app);
  const hsts = site.tls.hstsMaxAge > 0;
  const maps = `    # HTTPS (site.tls): which requests are ACME's, and the HSTS header for HTTPS ones.
    map $uri $acme_challenge {
        "~^/\\.well-known/acme-challenge/" 1;
        default 0;
    }
${
  hsts
    ? `    map $http_x_forwarded_proto $hsts {
        https "max-age=${site.tls.hstsMaxAge}";
        default "";
    }
`
    : ""
}`;
  const server = `        # Plain HTTP goes to HTTPS once it serves (the flag), except ACME's challenges. One
        # condition per "if": the parts are joined into one value first.
        set $to_https "$http_x_forwarded_proto:$acme_challenge";
        if (-f ${HTTPS_FLAG}) {
            set $to_https "\${to_https}:on";
        }
        if ($to_https = "http:0:on") {
            return 301 https://$host${httpsPortSuffix(site.tls)}$request_uri;
        }
${hsts ? "        add_header Strict-Transport-Security $hsts always;\n" : ""}        location ^~ /.well-known/acme-challenge/ {
            root ${ACME_DIR};
            try_files $uri @app;
        }
`;
  return { maps, server };
}

/** The site program's name, socket and scripts (pure). */
export function defineSiteProgram(a: { app: string; site: SiteConfig; hostId: string }) {
  const dir = (program: string) => siteProgramDir(a.app, program);
  const socket = (program: string) => `${dir(program)}/nginx.sock`;
  const checkSocket = (program: string) => `${dir(program)}/check.sock`;
  const anyName = a.site.serverName === "_";
  const https = httpsParts(a.app, a.site);
  const nginxConf = (program: string) =>
    renderTemplate("nginx-site.conf", {
      APP: a.app,
      PROGRAM: program,
      LIVE_RELEASE_SOCKET: hostPaths(a.app).LIVE_RELEASE_SOCKET,
      PUBLIC_DIR: hostPaths(a.app).PUBLIC_DIR,
      TRY_FILES: TRY_FILES[a.site.static],
      PROXY_READ_TIMEOUT,
      DIR: dir(program),
      SHUTDOWN_TIMEOUT: SITE_SHUTDOWN_TIMEOUT,
      CHECK_SOCKET: checkSocket(program),
      SOCKET: socket(program),
      CATCH_ALL: anyName ? "" : CATCH_ALL(socket(program)),
      DEFAULT: anyName ? " default_server" : "",
      SERVER_NAME: a.site.serverName,
      CLIENT_MAX_BODY_SIZE: a.site.clientMaxBodySize,
      MAINTENANCE_FLAG: hostPaths(a.app).MAINTENANCE_FLAG,
      MAINTENANCE_PAGE: hostPaths(a.app).MAINTENANCE_PAGE,
      HTTPS_MAPS: https.maps,
      HTTPS_SERVER: https.server,
    });
  const defined = defineProgram({
    app: a.app,
    role: "site",
    hostId: a.hostId,
    dir,
    conf: (program, log) =>
      renderTemplate("supervisor-site.conf", {
        APP: a.app,
        PROGRAM: program,
        NGINX_CONF: `${dir(program)}/nginx.conf`,
        SOCKET: socket(program),
        CHECK_SOCKET: checkSocket(program),
        STOP_WAIT: SITE_STOP_WAIT,
        LOG: log,
      }),
    startTimeout: SITE_START_TIMEOUT,
    startVars: (program) => ({
      DIR: dir(program),
      FILE: `${dir(program)}/nginx.conf`,
      FILE_CONTENT: nginxConf(program),
      TEST: `nginx -t -q -c ${dir(program)}/nginx.conf`,
      SOCKET: checkSocket(program),
      CHECK_PATH: "/",
      CHECK_HOST: "localhost",
      EXPECT_STATUS: 204,
      EXPECT_TEXT: "",
    }),
    socket,
  });
  return { ...defined, socket: socket(defined.program) };
}

export class NginxSite extends pulumi.ComponentResource {
  /** The socket that receives traffic. */
  public readonly liveSocket: pulumi.Output<string>;
  /** The live site program. */
  public readonly siteProgram: pulumi.Output<string>;
  /** With HTTPS (site.tls): the certificate's expiry. */
  public readonly certificateExpiry: pulumi.Output<string> | undefined;

  constructor(name: string, args: NginxSiteArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:web:NginxSite", name, {}, opts);
    const defined = pulumi
      .output(args.hostId)
      .apply((hostId) => defineSiteProgram({ app: args.app, site: args.site, hostId }));
    const program = supervisorProgram(
      `${name}-program`,
      {
        connection: args.connection,
        program: defined,
        timeoutSeconds: programStepTimeout(SITE_START_TIMEOUT, SITE_STOP_WAIT),
      },
      { parent: this },
    );
    const siteSocket = pulumi
      .all([program.program, defined])
      .apply(([, d]) => ({ APP: args.app, SOCKET: d.socket, LINK: siteLink(args.app) }));
    const siteSwitch = new HostCommand(
      `${name}-switch`,
      {
        connection: args.connection,
        create: siteSocket.apply((t) => renderScript("site-switch.sh", t)),
        update: siteSocket.apply((t) => renderScript("site-switch.sh", t)),
        check: siteSocket.apply((t) => renderScript("site-switch-check.sh", t)),
        triggers: [args.hostId],
      },
      { parent: this },
    );

    const front = renderFrontDoor(args.app, args.site);
    const frontScript = renderScript("site.sh", { APP: args.app, SITE: front });
    const frontDoor = new HostCommand(
      `${name}-config`,
      {
        connection: args.connection,
        create: frontScript,
        update: frontScript,
        delete: renderScript("site-remove.sh", { APP: args.app }),
        check: renderScript("site-check.sh", { APP: args.app, SITE: front }),
        triggers: [args.hostId],
      },
      { parent: this, dependsOn: [siteSwitch] },
    );

    // HTTPS asks the ACME server to fetch its challenge from the site: after the front door is up
    // (and a provided certificate's redirect needs it too).
    const https = httpsEnabled(args.site)
      ? new Https(
          `${name}-https`,
          {
            connection: args.connection,
            hostId: args.hostId,
            app: args.app,
            site: args.site,
            tlsPrivateKey: args.tlsPrivateKey,
          },
          { parent: this, dependsOn: [frontDoor] },
        )
      : undefined;

    const target = pulumi
      .all([args.socket, args.releaseDir])
      .apply(([socket, releaseDir]) => ({ APP: args.app, SOCKET: socket, RELEASE_DIR: releaseDir }));
    // Updated in place on every release: the switch is an update, never a replacement.
    const upstream = new HostCommand(
      `${name}-upstream`,
      {
        connection: args.connection,
        create: target.apply((t) => renderScript("switch.sh", t)),
        update: target.apply((t) => renderScript("switch.sh", t)),
        check: target.apply((t) => renderScript("switch-check.sh", t)),
        triggers: [args.hostId],
      },
      { parent: this },
    );
    this.liveSocket = pulumi.all([upstream.stdout, args.socket]).apply(([, socket]) => socket);
    this.siteProgram = program.program;
    this.certificateExpiry = https?.certificateExpiry;
    this.registerOutputs({
      liveSocket: this.liveSocket,
      siteProgram: this.siteProgram,
      certificateExpiry: this.certificateExpiry,
    });
  }
}
