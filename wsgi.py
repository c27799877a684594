from saas import create_app
from saas.process import settle

app = create_app()
settle()
