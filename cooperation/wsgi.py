import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")

application = get_wsgi_application()

# What start-up loaded lives as long as the worker: take it out of the garbage collector's
# full passes, which otherwise walk it again and again (on a list page of the API this
# halved the 95th-percentile time: bench/api.py).
gc.freeze()

# A page of a thousand operations makes some hundred thousand objects, nearly all freed by
# reference counting; with Python's default threshold (a young-generation pass every 700
# new objects) the collector ran about 150 times for such a page, a quarter of its time
# (bench/api.py: 174 -> 133 ms). Cycles are still collected, a little later.
gc.set_threshold(10_000, 10, 10)
