# Migrations in two phases, checked: run in a release as its user (release-exec).
#
#   python migrate.py before   check the pending migrations that run before the switch
#                              (the serving release must survive them), then apply them
#   python migrate.py after    apply the rest, once no older release runs
#   python migrate.py pending  print the migrations still pending ("pending: app.name" lines)
#
# With a release serving, the migrations named in AFTER_SWITCH wait for the after phase.
# Before it, each pending migration's SQL (`sqlmigrate`) goes through
# django-migration-linter's analysis (its tool directory is LINTER_PATH, outside the app's
# venv); migrations named in ALLOW_UNSAFE, and those that only touch tables created by this
# deploy's own pending migrations, are not checked. Without a serving release (SERVING is not
# "1") nothing can break: everything is applied, unchecked.
# Env: AFTER_SWITCH, ALLOW_UNSAFE ("app_label.migration_name" words), LINTER_PATH, SERVING,
# WAYS_FORWARD (what a refusal suggests; "{migration}" stands for the first one refused).
# Exit codes: 0 done, 3 refused (nothing applied), 1 any other error.
import io
import os
import runpy
import sys

ran = False


def names(var):
    return {tuple(word.split(".", 1)) for word in os.environ.get(var, "").split()}


def show(key):
    return ".".join(key)


def say(*lines):
    print(*lines, sep="\n", file=sys.stderr)


def plan_phases(serving):
    """Pending migrations in the order migrate applies them, split at the switch."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    graph = executor.loader.graph
    after = names("AFTER_SWITCH")
    applied = set(executor.loader.applied_migrations)
    for key in sorted(after - set(graph.nodes) - applied):
        # A return to an older release, or squashed migrations: nothing to wait for.
        say(f"note: app.migrations.afterSwitch names {show(key)}, which this release does not have")
    pending = [m for m, backwards in executor.migration_plan(graph.leaf_nodes()) if not backwards]
    deferred = set()
    if serving:
        for m in pending:  # dependencies first, so a parent is decided before its children
            key = (m.app_label, m.name)
            if key in after or any(p.key in deferred for p in graph.node_map[key].parents):
                deferred.add(key)
    keys = [(m.app_label, m.name) for m in pending]
    return executor, [k for k in keys if k not in deferred], [k for k in keys if k in deferred]


def tables_created(executor, keys):
    """(app_label, model) of the models that these migrations create."""
    from django.db.migrations.operations import CreateModel

    created = set()
    for key in keys:
        for op in executor.loader.graph.nodes[key].operations:
            if isinstance(op, CreateModel):
                created.add((key[0], op.name_lower))
    return created


def only_new_tables(executor, key, created):
    """Whether every operation of the migration is on a model this deploy creates."""
    from django.db.migrations.operations import RunPython, RunSQL

    ops = executor.loader.graph.nodes[key].operations
    models = [getattr(op, "model_name_lower", None) or getattr(op, "name_lower", None) for op in ops]
    return bool(ops) and not any(isinstance(op, (RunSQL, RunPython)) for op in ops) and all((key[0], m) in created for m in models)


def unsafe(executor, migrations):
    """(migration, finding) for each migration whose SQL the serving release may not survive."""
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections

    import django_migration_linter
    from django_migration_linter.sql_analyser import analyse_sql_statements, get_sql_analyser_class

    if not django_migration_linter.__file__.startswith(os.environ["LINTER_PATH"]):
        sys.exit(f"the migration checker was loaded from {django_migration_linter.__file__}, not from its tool directory")
    analyser = get_sql_analyser_class(connections[DEFAULT_DB_ALIAS].vendor)
    allowed = names("ALLOW_UNSAFE")
    created = tables_created(executor, migrations)
    found = []
    for key in migrations:
        if key in allowed:
            say(f"  {show(key)}: not checked (app.migrations.allowUnsafe)")
            continue
        if only_new_tables(executor, key, created):
            continue
        try:
            sql = call_command("sqlmigrate", *key, stdout=io.StringIO())
        except Exception as err:  # sqlmigrate reads the live schema: it can fail where migrate would not
            found.append((key, f"cannot be checked (sqlmigrate: {err}); if it is safe, name it in app.migrations.allowUnsafe"))
            continue
        errors, _ignored, warnings = analyse_sql_statements(analyser, sql.splitlines())
        for issue in warnings:
            say(f"  {show(key)}: note: {issue.message}")
        for issue in errors:
            where = ", ".join(f"{k} {v}" for k, v in (("table", issue.table), ("column", issue.column)) if v)
            found.append((key, issue.message + (f" ({where})" if where else "")))
    return found


def refuse(found):
    say(
        "refused: the release that serves now runs until the switch, and these migrations would break it:",
        *(f"  {show(key)}: {finding}" for key, finding in found),
        "Nothing was migrated; the serving release is unchanged.",
        os.environ.get("WAYS_FORWARD", "").replace("{migration}", show(found[0][0])),
    )
    sys.exit(3)


def migrate_to(executor, keys):
    """Apply exactly `keys` (and what they depend on): one migrate per last key of a chain."""
    from django.core.management import call_command

    wanted = set(keys)
    nodes = executor.loader.graph.node_map
    for app_label, name in [k for k in keys if not any(c.key in wanted for c in nodes[k].children)]:
        call_command("migrate", app_label, name, interactive=False)


def main(phase):
    global ran
    ran = True
    import django
    from django.core.management import call_command

    django.setup()
    serving = os.environ.get("SERVING") == "1"
    executor, before, after = plan_phases(serving and phase == "before")
    if phase == "pending":
        print("\n".join(f"pending: {show(k)}" for k in before + after))
        return
    if phase == "after":
        if before or after:
            say(f"migrations after the switch: {', '.join(map(show, before + after))}")
            call_command("migrate", interactive=False)
        return
    if after:
        named = names("AFTER_SWITCH")
        dragged = [k for k in after if k not in named]
        if dragged:
            refuse([(k, "depends on a migration named in app.migrations.afterSwitch, so it would wait too, though the new code may need it: "
                        "name it there as well, or make it not depend on that one") for k in dragged])
        say(f"migrations after the switch, once the old release has stopped: {', '.join(map(show, after))}")
    if not before:
        return
    say(f"migrations before the switch: {', '.join(map(show, before))}")
    if serving:
        found = unsafe(executor, before)
        if found:
            refuse(found)
    if after:
        migrate_to(executor, before)
    else:
        # All of it: one migrate, as manage.py would. Target by target, post_migrate handlers
        # (contenttypes, permissions) would run between targets on a half-migrated schema: a new
        # database's first migrate then fails in contenttypes.
        call_command("migrate", interactive=False)


if __name__ == "__main__":
    phase = sys.argv[1] if len(sys.argv) == 2 else ""
    if phase not in ("before", "after", "pending"):
        sys.exit("usage: migrate.py before|after|pending")
    # The checker's own copy comes first, even if the app has another (or lists it in INSTALLED_APPS).
    if os.environ.get("LINTER_PATH"):
        sys.path.insert(0, os.environ["LINTER_PATH"])
    # Set up exactly as the app's own manage.py does (settings module, sys.path, env):
    # run it, with Django's entry point replaced by this script's.
    import django.core.management

    django.core.management.execute_from_command_line = lambda argv=None: main(phase)
    sys.path.insert(0, os.getcwd())
    sys.argv = ["manage.py"]
    runpy.run_path("manage.py", run_name="__main__")
    if not ran:
        sys.exit("manage.py did not call django.core.management.execute_from_command_line: migrate.py cannot run through it")
