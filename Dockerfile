# The portal's image: web (gunicorn), Celery worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-install-project --no-dev
COPY . .
RUN DEBUG=1 DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --no-input

RUN useradd --system --uid 10001 portal
USER portal
EXPOSE 8000
CMD ["gunicorn", "cooperation.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
