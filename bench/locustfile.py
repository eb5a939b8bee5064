"""One staff member and one customer walking every benchmarked page in turn (headless locust).

BENCH_PAGES names a JSON file written by bench/pages.py: the pages, and the staff user's TOTP
key, from which on_start computes the admin's second factor as an authenticator app would.
"""

import json
import os
import re
from pathlib import Path

from django_otp.oath import totp
from locust import HttpUser, constant, task
from locust.clients import HttpSession

DATA = json.loads(Path(os.environ["BENCH_PAGES"]).read_text())
STAFF = ("privacy@calljmp.example", "calljmp-demo-2026")
CUSTOMER = ("bea@birch-health.example", "calljmp-demo-2026")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


class Walker(HttpUser):
    wait_time = constant(0)

    def login(self, session, path, email, password, **extra):
        page = session.get(path, name="(login form)")
        response = session.post(
            path,
            {"csrfmiddlewaretoken": csrf_of(page.text), "username": email, "password": password,
             **extra},
            headers={"Referer": self.host + path},
            name="(login)",
        )  # fmt: skip
        if response.url.rstrip("/").endswith(path.rstrip("/")):
            raise RuntimeError(f"login at {path} failed for {email}")

    def on_start(self):
        self.sessions = {"admin": self.client, "public": self.client}
        code = totp(bytes.fromhex(DATA["totp_key"]))
        self.login(self.client, "/admin/login/", *STAFF, otp_token=f"{code:06d}", next="/admin/")
        customer = HttpSession(self.host, self.environment.events.request, user=self)
        self.login(customer, "/portal/login/", *CUSTOMER)
        self.sessions["portal"] = customer
        self.index = 0

    @task
    def next_page(self):
        name, door, path, _ = DATA["pages"][self.index % len(DATA["pages"])]
        self.index += 1
        # A redirect (to a login page) would time the wrong page: anything but 200 fails.
        with self.sessions[door].get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
