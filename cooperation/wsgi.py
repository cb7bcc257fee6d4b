import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")

application = get_wsgi_application()

# What start-up loaded lives as long as the worker: take it out of the garbage collector's
# full passes, which otherwise walk it again and again (on a list page of the API this
# halved the 95th-percentile time: bench/api.py).
gc.freeze()
