// Https: HTTPS for the site (site.tls), in three steps that each wait for the last:
//  1. the certificate: certbot on the host, HTTP-01 answered by the live site program; or, with
//     mode "provided", the user's certificate and key (the key on stdin, as every secret);
//  2. the HTTPS program: an nginx of its own under supervisor that ends TLS and passes requests
//     to the live site program. Its config holds nothing that changes with the site, and it reads
//     the certificate at each handshake, so renewals, new pairs and site changes never restart or
//     reload it;
//  3. the switch-on: once HTTPS serves the installed certificate, plain HTTP is redirected.
// A failed issuance stops at step 1: plain HTTP goes on serving, unredirected.
import * as pulumi from "@pulumi/pulumi";
import { acmeDirectory, httpsCheckAddress, siteNames } from "../config/https";
import { expiryWarning } from "../config/providedCertificate";
import { SiteConfig } from "../config/types";
import { HostCommand } from "../host/hostCommand";
import {
  ACME_TIMEOUT,
  hostPaths,
  programStepTimeout,
  PROXY_READ_TIMEOUT,
  SITE_SHUTDOWN_TIMEOUT,
  SITE_START_TIMEOUT,
  SITE_STOP_WAIT,
  siteLink,
  siteProgramDir,
} from "../host/hostFacts";
import { readTemplate, renderScript, renderTemplate } from "../host/render";
import { SshTarget } from "../host/ssh";
import { defineProgram, supervisorProgram } from "./supervisorProgram";

export interface HttpsArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  site: SiteConfig;
  /** The private key of site.tls.certificate, PEM: required with site.tls.mode "provided". */
  tlsPrivateKey?: pulumi.Input<string>;
}

/** The HTTPS program's name and scripts (pure). */
export function defineHttpsProgram(a: { app: string; site: SiteConfig; hostId: string }) {
  const dir = (program: string) => siteProgramDir(a.app, program);
  const checkSocket = (program: string) => `${dir(program)}/check.sock`;
  const nginxConf = (program: string) =>
    renderTemplate("nginx-tls.conf", {
      APP: a.app,
      PROGRAM: program,
      DIR: dir(program),
      SHUTDOWN_TIMEOUT: SITE_SHUTDOWN_TIMEOUT,
      SITE_LINK: siteLink(a.app),
      CHECK_SOCKET: checkSocket(program),
      LISTEN: a.site.tls.listen,
      PROXY_READ_TIMEOUT,
    });
  return defineProgram({
    app: a.app,
    role: "https",
    hostId: a.hostId,
    dir,
    conf: (program, log) =>
      renderTemplate("supervisor-site.conf", {
        APP: a.app,
        PROGRAM: program,
        NGINX_CONF: `${dir(program)}/nginx.conf`,
        // No socket of its own for traffic: it listens on tls.listen.
        SOCKET: checkSocket(program),
        CHECK_SOCKET: checkSocket(program),
        STOP_WAIT: SITE_STOP_WAIT,
        LOG: log,
      }),
    startTimeout: SITE_START_TIMEOUT,
    startVars: (program) => ({
      DIR: dir(program),
      FILE: `${dir(program)}/nginx.conf`,
      FILE_CONTENT: nginxConf(program),
      MODULE_FILE: `${dir(program)}/tls-live.js`,
      MODULE_CONTENT: renderTemplate("tls-live.js", { TLS_DIR: hostPaths(a.app).TLS_DIR }),
      TEST: `nginx -t -q -c ${dir(program)}/nginx.conf`,
      SOCKET: checkSocket(program),
      CHECK_PATH: "/",
      CHECK_HOST: "localhost",
      EXPECT_STATUS: 204,
      EXPECT_TEXT: "",
    }),
    socket: checkSocket,
  });
}

/** The certificate step's script (pure). */
export function certificateScript(app: string, site: SiteConfig): string {
  return renderScript("tls-certificate.sh", {
    APP: app,
    DOMAINS: siteNames(site).join(" "),
    EMAIL: site.tls.email ?? "",
    SERVER: acmeDirectory(site.tls),
    DIRECTORY_CA: site.tls.directoryCa?.trim() ?? "",
    HOOK: readTemplate("tls-install.sh"),
  });
}

/** The provided certificate's step script (pure): the certificate is public, its key comes on stdin. */
export function providedCertificateScript(app: string, site: SiteConfig): string {
  if (!site.tls.certificate) throw new Error('site.tls.certificate: required with site.tls.mode "provided"');
  return renderScript("tls-provided.sh", {
    APP: app,
    CERTIFICATE: site.tls.certificate.trim(),
    INSTALL_PAIR: readTemplate("tls-install.sh"),
  });
}

export class Https extends pulumi.ComponentResource {
  /** The served certificate's expiry, as openssl prints it ("Feb 20 18:00:00 2027 GMT"). */
  public readonly certificateExpiry: pulumi.Output<string>;

  constructor(name: string, args: HttpsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:web:Https", name, {}, opts);
    const { connection, app, site } = args;
    const provided = site.tls.mode === "provided";
    if (provided && args.tlsPrivateKey === undefined) {
      throw new Error('tlsPrivateKey: required with site.tls.mode "provided"');
    }
    const install = provided ? providedCertificateScript(app, site) : certificateScript(app, site);
    const warning = provided ? expiryWarning(site.tls.certificate!) : undefined;
    if (warning) pulumi.log.warn(warning, this);
    const certificate = new HostCommand(
      `${name}-certificate`,
      {
        connection,
        create: install,
        update: install,
        delete: renderScript("tls-remove.sh", { APP: app }),
        check: renderScript("tls-check.sh", { APP: app }),
        triggers: [args.hostId],
        stdin: provided ? pulumi.secret(args.tlsPrivateKey!) : undefined,
        timeoutSeconds: ACME_TIMEOUT,
      },
      { parent: this },
    );
    const defined = pulumi.output(args.hostId).apply((hostId) => defineHttpsProgram({ app, site, hostId }));
    const program = supervisorProgram(
      `${name}-program`,
      { connection, program: defined, timeoutSeconds: programStepTimeout(SITE_START_TIMEOUT, SITE_STOP_WAIT) },
      { parent: this, dependsOn: [certificate] },
    );
    // A new certificate (what the certificate step printed) runs the check again: the stack's
    // certificateExpiry comes from it.
    const on = pulumi.all([program.program, certificate.stdout]).apply(([, installed]) =>
      renderScript("https-on.sh", {
        APP: app,
        NAME: siteNames(site)[0],
        CONNECT: httpsCheckAddress(site.tls),
        INSTALLED: installed.trim(),
      }),
    );
    const switchOn = new HostCommand(
      `${name}-on`,
      {
        connection,
        create: on,
        update: on,
        delete: renderScript("https-off.sh", { APP: app }),
        check: renderScript("https-check.sh", { APP: app }),
        triggers: [args.hostId],
      },
      { parent: this, dependsOn: [program.command] },
    );
    this.certificateExpiry = switchOn.stdout.apply((s) => s.trim());
    this.registerOutputs({ certificateExpiry: this.certificateExpiry });
  }
}
