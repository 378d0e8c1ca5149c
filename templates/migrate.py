# Migrations in two phases, checked: run in a release as its user (release-exec).
#
#   python migrate.py before   check the pending migrations that run before the switch
#                              (the serving release must survive them), then apply them
#   python migrate.py after    apply the rest, once no older release runs
#   python migrate.py pending  print the migrations still pending, one per line
#
# "After the switch" are the migrations named in AFTER_SWITCH and every migration that
# depends on one of them. The check is django-migration-linter's SQL analysis (its tool
# directory is LINTER_PATH, outside the app's venv), run on `sqlmigrate` of each migration;
# migrations named in ALLOW_UNSAFE are not checked. SERVING is "1" when a release serves
# traffic: without one there is nobody to break, and nothing is checked.
# Env: AFTER_SWITCH, ALLOW_UNSAFE ("app_label.migration_name" words), LINTER_PATH, SERVING,
# WAYS_FORWARD (what a refusal suggests; "{migration}" stands for the first one refused).
# Exit codes: 0 done, 3 refused (unsafe migrations; nothing applied), 1 any other error.
import io
import os
import runpy
import sys


def names(var):
    return {tuple(word.split(".", 1)) for word in os.environ.get(var, "").split()}


def show(key):
    return ".".join(key)


def plan_phases():
    """Pending migrations in the order migrate applies them, split at the switch."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    graph = executor.loader.graph
    after = names("AFTER_SWITCH")
    unknown = sorted(k for k in after if k not in graph.nodes)
    if unknown:
        sys.exit(f"app.migrations.afterSwitch names migrations this release does not have: {', '.join(map(show, unknown))}")
    pending = [m for m, backwards in executor.migration_plan(graph.leaf_nodes()) if not backwards]
    deferred = set()
    for m in pending:  # dependencies first, so a parent is decided before its children
        key = (m.app_label, m.name)
        if key in after or any(p.key in deferred for p in graph.node_map[key].parents):
            deferred.add(key)
    before = [(m.app_label, m.name) for m in pending if (m.app_label, m.name) not in deferred]
    return graph, before, [(m.app_label, m.name) for m in pending if (m.app_label, m.name) in deferred]


def unsafe(migrations):
    """(migration, finding) for each migration whose SQL the serving release may not survive."""
    from django.conf import settings
    from django.core.management import call_command

    sys.path.append(os.environ["LINTER_PATH"])
    from django_migration_linter.sql_analyser import analyse_sql_statements, get_sql_analyser_class

    analyser = get_sql_analyser_class(settings.DATABASES["default"]["ENGINE"])
    allowed = names("ALLOW_UNSAFE")
    found = []
    for key in migrations:
        if key in allowed:
            print(f"  {show(key)}: not checked (app.migrations.allowUnsafe)", file=sys.stderr)
            continue
        sql = call_command("sqlmigrate", *key, stdout=io.StringIO())
        errors, _ignored, warnings = analyse_sql_statements(analyser, sql.splitlines())
        for issue in warnings:
            print(f"  {show(key)}: note: {issue.message}", file=sys.stderr)
        for issue in errors:
            where = ", ".join(f"{k} {v}" for k, v in (("table", issue.table), ("column", issue.column)) if v)
            found.append((key, issue.message + (f" ({where})" if where else "")))
    return found


def migrate_to(graph, keys):
    """Apply exactly `keys` (and what they depend on): one migrate per last key of a chain."""
    from django.core.management import call_command

    wanted = set(keys)
    ends = [k for k in keys if not any(c.key in wanted for c in graph.node_map[k].children)]
    for app_label, name in ends:
        call_command("migrate", app_label, name, interactive=False)


def main(phase):
    import django

    django.setup()
    graph, before, after = plan_phases()
    if phase == "pending":
        print("\n".join(map(show, before + after)))
        return
    if phase == "after":
        if after or before:
            print(f"migrations after the switch: {', '.join(map(show, before + after))}", file=sys.stderr)
            from django.core.management import call_command

            call_command("migrate", interactive=False)
        return
    if after:
        print(f"migrations after the switch, once the old release has stopped: {', '.join(map(show, after))}", file=sys.stderr)
    if not before:
        return
    print(f"migrations before the switch: {', '.join(map(show, before))}", file=sys.stderr)
    if os.environ.get("SERVING") == "1":
        found = unsafe(before)
        if found:
            print("refused: the release that serves now runs until the switch, and these migrations would break it:", file=sys.stderr)
            for key, finding in found:
                print(f"  {show(key)}: {finding}", file=sys.stderr)
            print("Nothing was migrated; the serving release is unchanged.", file=sys.stderr)
            print(os.environ.get("WAYS_FORWARD", "").replace("{migration}", show(found[0][0])), file=sys.stderr)
            sys.exit(3)
    migrate_to(graph, before)


if __name__ == "__main__":
    phase = sys.argv[1] if len(sys.argv) == 2 else ""
    if phase not in ("before", "after", "pending"):
        sys.exit("usage: migrate.py before|after|pending")
    # Set up exactly as the app's own manage.py does (settings module, sys.path, env):
    # run it, with Django's entry point replaced by this script's.
    import django.core.management

    django.core.management.execute_from_command_line = lambda argv=None: main(phase)
    sys.path.insert(0, os.getcwd())
    sys.argv = ["manage.py"]
    runpy.run_path("manage.py", run_name="__main__")
