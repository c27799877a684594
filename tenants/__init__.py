"""The tenant workspace: one package (and blueprint) per feature, all under /t/<slug>/."""

FEATURES = ("dashboard", "members", "stations", "visits", "training", "schemes", "plans", "applications", "recognition", "bureau",
            "workbench", "deadlines", "audit", "settings", "guidance", "reports", "surveys", "referrals")


def init_app(app):
    import importlib

    for name in FEATURES:
        module = importlib.import_module(f"tenants.{name}")
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)
        if hasattr(module, "home_bp"):  # a page outside any one tenant (the instructor's home)
            app.register_blueprint(module.home_bp)
        if hasattr(module, "init_app"):
            module.init_app(app)
        try:  # the feature's JSON API resources (they register on saas.api.bp)
            importlib.import_module(f"tenants.{name}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"tenants.{name}.api":
                raise
    from saas import api

    api.init_app(app)
