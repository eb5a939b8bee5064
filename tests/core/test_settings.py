import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # The test run's own switches (settings module, the browser tests' async flag) stay out.
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_debug_off():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-production-like-secret-" + "k3y" * 20,
        ALLOWED_HOSTS="records.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = {"DEBUG": "0", "SECRET_KEY": ""}
    result = run_manage("check", **environment)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_times_are_stored_in_utc():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"


def test_files_go_to_private_s3_storage_when_a_bucket_is_set():
    result = run_manage(
        "shell",
        "-c",
        "from django.core.files.storage import storages; "
        "p = storages['private']; print(type(p).__name__, p.bucket_name, p.location, "
        "p.default_acl); "
        "import sys\n"
        "try:\n    p.url('x')\nexcept ValueError as e:\n    print('no url:', e)",
        DEBUG="1",
        FILES_S3_BUCKET="records-files",
        FILES_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert result.returncode == 0, result.stderr
    assert "PrivateS3Storage records-files private private" in result.stdout
    assert "no url: Private files have no URL" in result.stdout


def manage_debug_setting(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY", "DEBUG")
    }
    environment.update(env)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print('DEBUG', settings.DEBUG)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_manage_py_on_an_unconfigured_machine_runs_in_development_mode():
    assert manage_debug_setting() == "DEBUG True"


def test_manage_py_with_a_secret_key_stays_out_of_debug():
    assert manage_debug_setting(SECRET_KEY="a-deployment-key-" + "x" * 40) == "DEBUG False"
