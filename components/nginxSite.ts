// NginxSite: the site config, installed only after `nginx -t` accepts it and
// reloaded only when it changes, and the upstream switch: a stable symlink
// renamed onto the new release's socket, which needs no reload at all.
import * as pulumi from "@pulumi/pulumi";
import { SiteConfig } from "./config-types";
import { HostCommand } from "./hostCommand";
import { appRoot } from "./paths";
import { renderScript, renderTemplate } from "./render";
import { SshTarget } from "./ssh";

export interface NginxSiteArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  site: SiteConfig;
  /** The healthy release's socket (GunicornService.socket). */
  socket: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
}

export function renderSite(app: string, site: SiteConfig): string {
  return renderTemplate("nginx-site.conf", {
    APP: app,
    ROOT: appRoot(app),
    LISTEN: site.listen,
    SERVER_NAME: site.serverName,
    CLIENT_MAX_BODY_SIZE: site.clientMaxBodySize,
  });
}

export class NginxSite extends pulumi.ComponentResource {
  /** The socket that receives traffic. */
  public readonly liveSocket: pulumi.Output<string>;

  constructor(name: string, args: NginxSiteArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:web:NginxSite", name, {}, opts);
    const site = renderSite(args.app, args.site);
    const siteScript = renderScript("site.sh", { APP: args.app, SITE: site });
    const config = new HostCommand(
      `${name}-config`,
      {
        connection: args.connection,
        create: siteScript,
        update: siteScript,
        delete: renderScript("site-remove.sh", { APP: args.app }),
        check: renderScript("site-check.sh", { APP: args.app, SITE: site }),
        triggers: [args.hostId],
      },
      { parent: this },
    );
    const target = pulumi.all([args.socket, args.releaseDir]).apply(([socket, releaseDir]) => ({ APP: args.app, SOCKET: socket, RELEASE_DIR: releaseDir }));
    const switchScript = target.apply((t) => renderScript("switch.sh", t));
    // Updated in place on every release: the switch is an update, never a replacement.
    const upstream = new HostCommand(
      `${name}-upstream`,
      {
        connection: args.connection,
        create: switchScript,
        update: switchScript,
        check: target.apply((t) => renderScript("switch-check.sh", t)),
        triggers: [args.hostId],
      },
      { parent: this, dependsOn: [config] },
    );
    this.liveSocket = pulumi.all([upstream.stdout, args.socket]).apply(([, socket]) => socket);
    this.registerOutputs({ liveSocket: this.liveSocket });
  }
}
