from saas.tenancy import tenant_blueprint

bp = tenant_blueprint("readiness", __name__, "/readiness")
