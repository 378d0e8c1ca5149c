import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { detectEntrypoint } from "../src/source/entrypoint";

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "entry-"));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
const manage = (settings: string) => `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${settings}")\n`;

describe("the app's WSGI or ASGI application, when the config names none", () => {
  it("the wsgi.py beside the settings module manage.py names", () => {
    const dir = project({ "manage.py": manage("config.settings"), "config/wsgi.py": "", "legacy/wsgi.py": "" });
    expect(detectEntrypoint(dir, "wsgi")).toBe("config.wsgi:application");
  });

  it("settings in a package of their own: the nearest package up that has one", () => {
    const dir = project({ "manage.py": manage("bakery.settings.dev"), "bakery/wsgi.py": "", "bakery/asgi.py": "" });
    expect(detectEntrypoint(dir, "wsgi")).toBe("bakery.wsgi:application");
    expect(detectEntrypoint(dir, "asgi")).toBe("bakery.asgi:application");
  });

  it("else the only one in the top two levels (venvs and node_modules aside)", () => {
    const dir = project({
      "manage.py": "# settings chosen elsewhere\n",
      "src/shop/wsgi.py": "",
      "venv/lib/wsgi.py": "",
      "node_modules/x/wsgi.py": "",
    });
    expect(detectEntrypoint(dir, "wsgi")).toBe("src.shop.wsgi:application");
  });

  it("several, or none: a clear error naming the setting", () => {
    const two = project({ "manage.py": "", "a/wsgi.py": "", "b/wsgi.py": "" });
    expect(() => detectEntrypoint(two, "wsgi")).toThrow(
      'app.wsgi: not set, and the source has several wsgi.py (a/wsgi.py, b/wsgi.py); set app.wsgi like "config.wsgi:application"',
    );
    const none = project({ "manage.py": manage("config.settings"), "config/wsgi.py": "" });
    expect(() => detectEntrypoint(none, "asgi")).toThrow(
      'app.asgi: not set, and the source has no asgi.py to serve; set app.asgi like "config.asgi:application"',
    );
  });
});
