"""Platform administration: tenants, bureaus, users, sent mail."""


def init_app(app):
    from .views import bp

    app.register_blueprint(bp)
