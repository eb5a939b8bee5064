"""Staff roles, as Django groups, and the permissions each one holds.

One table says what every role may do. A data migration creates the groups; after every
`migrate` the table is applied again, so models added later are covered without a new migration.
Least privilege: a role gets view on what it must read to do its work and write only on its own
area. Nobody gets change or delete on historical models: the past is read, never edited.
"""

from dataclasses import dataclass, field

PRIVACY_OFFICER = "Privacy Officer"
SUPPORT_AGENT = "Support Agent"
SECURITY_LEAD = "Security Lead"
AUDITOR = "Auditor"

ROLE_NAMES = (PRIVACY_OFFICER, SUPPORT_AGENT, SECURITY_LEAD, AUDITOR)

# Apps whose models make up the product; their permissions are what roles hand out.
PROJECT_APPS = (
    "core",
    "trail",
    "accounts",
    "controllers",
    "processors",
    "data_categories",
    "subprocessors",
    "dsar",
    "breaches",
    "notifications",
    "jobs",
    "audit",
    "portal",
    "offboarding",
    "integrations",
    "retention",
    "api",
    "workspace",
)

ALL = ("add", "change", "delete", "view")
WORK = ("add", "change", "view")
READ = ("view",)

# What Support Agents and Security Leads must read to work tickets and incidents: who the
# customer is, and what the register says about where its data goes.
REGISTER_READ = (
    "controllers.controller",
    "controllers.membership",
    "processors.processor",
    "processors.processingactivity",
    "processors.securitymeasure",
    "data_categories.datacategory",
    "data_categories.datasubjectcategory",
    "subprocessors.subprocessor",
    "subprocessors.transfer",
    "subprocessors.subprocessorchange",
)


@dataclass(frozen=True)
class Role:
    # (app label or "app.model", actions) pairs; an app label covers its current models.
    grants: tuple[tuple[str, tuple[str, ...]], ...]
    # Whether the role reads the history of the models it can view.
    reads_history: bool = False
    excluded: tuple[str, ...] = field(default=())


ROLES: dict[str, Role] = {
    PRIVACY_OFFICER: Role(
        grants=tuple((app, ALL) for app in PROJECT_APPS),
        reads_history=True,
    ),
    SUPPORT_AGENT: Role(
        grants=(
            ("dsar", WORK),
            ("notifications", READ),
            # Personal API tokens: their own, acting with this role.
            ("integrations.apitoken", WORK),
            *((m, READ) for m in REGISTER_READ),
        ),
    ),
    SECURITY_LEAD: Role(
        grants=(
            ("breaches", WORK),
            # Reads data-subject requests (a breach may touch them); never works them.
            ("dsar", READ),
            ("notifications", READ),
            # The Security Lead keeps the Art. 32 measures up to date and reads security events.
            ("processors.securitymeasure", WORK),
            ("accounts.securityevent", READ),
            ("integrations.apitoken", WORK),
            *((m, READ) for m in REGISTER_READ),
        ),
    ),
    AUDITOR: Role(
        grants=tuple((app, READ) for app in PROJECT_APPS),
        reads_history=True,
    ),
}


def _is_historical(model) -> bool:
    # simple-history names its models (many-to-many ones included) Historical<Model>; checking
    # the name works for real models and for the frozen ones a migration sees.
    return model._meta.model_name.startswith("historical")


def permissions_for(role: Role, apps) -> set[tuple[str, str]]:
    """(app_label, codename) pairs the role should hold, for the models known to `apps`."""
    wanted: set[tuple[str, str]] = set()
    for target, actions in role.grants:
        app_label, _, model_name = target.partition(".")
        try:
            app_config = apps.get_app_config(app_label)
        except LookupError:
            continue  # an area that is not installed yet
        for model in app_config.get_models():
            meta = model._meta
            if _is_historical(model):
                if role.reads_history and "view" in actions:
                    wanted.add((meta.app_label, f"view_{meta.model_name}"))
                continue
            if model_name and meta.model_name != model_name:
                continue
            for action in actions:
                wanted.add((meta.app_label, f"{action}_{meta.model_name}"))
    return wanted


def sync_roles(apps=None, using="default") -> None:
    """Create the role groups if missing and set each one's permissions to the table above."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_key = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for name, role in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = {by_key[key] for key in permissions_for(role, apps) if key in by_key}
        current = set(group.permissions.all())
        if current != wanted:
            group.permissions.set(wanted)


def sync_roles_after_migrate(sender, using="default", **kwargs):
    from django.apps import apps as global_apps

    # post_migrate fires once per app that has a models module, and auth creates each app's
    # permissions in its own turn: only after the last such app are they all there.
    with_models = [c for c in global_apps.get_app_configs() if c.models_module is not None]
    if sender is with_models[-1]:
        sync_roles(using=using)
