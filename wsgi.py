from saas import create_app

app = create_app()
