"""The benchmark's people (headless locust), on the sessions bench/pages.py signed in.

BENCH_PAGES names bench/pages.py's JSON. BENCH_MODE says who runs:

- `walk` (one user): every page of BENCH_WALK (`pages`, ours, or `stock_pages`, the stock admin's)
  in turn, as the demo's Privacy Officer and its customer: each page's latency;
- `load` (any number of users): each user k is a small team around customer k: the customer
  submits a request and replies to it; a Support Agent starts a new request of that customer and
  completes one in progress; a Security Lead records an incident, confirms the 20 controllers it
  affects and notifies them; a Privacy Officer edits the activity that lists 500 controllers,
  adding or taking off one controller. Between journeys the officer and the demo customer read
  pages of the walk. Each write is one named request; its refusals (an admin message in red, a
  form sent back with errors) and any status other than the expected one are failures.
"""

import itertools
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from htmlforms import Form, refusals
from locust import HttpUser, constant, task
from locust.clients import HttpSession

DATA = json.loads(Path(os.environ["BENCH_PAGES"]).read_text())
MODE = os.environ.get("BENCH_MODE", "walk")
READS_BETWEEN = int(os.environ.get("BENCH_READS_BETWEEN", "3"))
NUMBERS = itertools.count()
SELECTED = re.compile(r'name="_selected_action" value="(\d+)"')


class Bench(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.k = next(NUMBERS)
        self.round = 0
        # The references of the customer's requests waiting for the agent, and those it started.
        self.submitted: list[str] = []
        self.started: list[str] = []
        self.csrf = DATA["csrf"]
        self.sessions = {"public": self.client}
        if MODE == "walk":
            self.pages = DATA[os.environ.get("BENCH_WALK", "pages")]
            signed_in = DATA["sessions"]
        else:
            self.me = DATA["users"][self.k % len(DATA["users"])]
            self.pages = [p for p in DATA["pages"] if p[1] != "public"]
            signed_in = {
                **self.me["sessions"],
                "customer": self.me["sessions"]["portal"],
                # Reads: the officer's admin, the demo customer's portal (as in the walk).
                "admin": self.me["sessions"]["officer"],
                "portal": DATA["sessions"]["portal"],
            }
        for door, key in signed_in.items():
            session = HttpSession(self.host, self.environment.events.request, user=self)
            session.cookies.set("sessionid", key)
            session.cookies.set("csrftoken", self.csrf)
            self.sessions[door] = session
        self.index = self.k * 7
        self.journeys = itertools.cycle([self.customer, self.agent, self.lead, self.officer])

    # --- reading ----------------------------------------------------------------------------

    def read(self, name, door, path):
        # A redirect (to a login page) would time the wrong page: anything but 200 fails.
        with self.sessions[door].get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

    def next_page(self):
        name, door, path, _ = self.pages[self.index % len(self.pages)]
        self.index += 1
        self.read(name, door, path)

    @task
    def step(self):
        if MODE == "walk":
            self.next_page()
            return
        next(self.journeys)()
        for _ in range(READS_BETWEEN):
            self.next_page()

    # --- writing ----------------------------------------------------------------------------

    def get(self, door, path, name):
        with self.sessions[door].get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            return response

    def post(self, door, path, data, name, expect=302):
        """A write: one request, not following its redirect; then the page it leads to, whose
        messages say whether the write was refused."""
        data = [*data, ("csrfmiddlewaretoken", self.csrf)]
        with self.sessions[door].post(
            path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                problems = refusals(response.text) or [f"status {response.status_code}"]
                response.failure("; ".join(problems)[:300])
                return None
        location = response.headers.get("Location", "")
        with self.sessions[door].get(
            location, name=f"(page after) {name}", catch_response=True
        ) as after:
            problems = refusals(after.text)
            if after.status_code != 200 or problems:
                after.failure("; ".join(problems or [f"status {after.status_code}"])[:300])
        return location

    def action(self, door, path, action, ids, name):
        data = [("action", action), ("index", "0"), ("select_across", "0")]
        data += [("_selected_action", str(i)) for i in ids]
        return self.post(door, path, data, name)

    def customer(self):
        """The customer submits a request, then replies on it."""
        self.round += 1
        form_page = self.get("customer", "/portal/requests/new/", "portal: new request form")
        form = Form(form_page.text, having="submission_token")
        received = datetime.now(UTC) - timedelta(days=3)
        form.set("request_type", "access")
        form.set("data_subject_identifier", f"bench-user-{self.k}-{self.round}")
        form.set("received_at", received.strftime("%Y-%m-%dT%H:%M"))
        form.set("details", "Passed on from our support desk (benchmark).")
        location = self.post(
            "customer", "/portal/requests/new/", form.data(), "write: customer submits a request"
        )
        if location:
            self.submitted.append(location.rstrip("/").rsplit("/", 1)[-1])
            self.post(
                "customer",
                location,
                [("body", "The subject asked us again today; any news?")],
                "write: customer replies on the request",
            )

    def agent(self):
        """The Support Agent looks at the queue, starts the request the customer has just
        submitted and completes the one it started the round before."""
        queue = "/admin/dsar/dsarticket/"
        self.get("agent", f"{queue}?status__exact=new", "admin: the queue of new requests (agent)")
        for references, action, name in (
            (self.submitted, "move_to_in_progress", "write: agent starts a request"),
            (self.started, "move_to_completed", "write: agent completes a request"),
        ):
            if not references:
                continue
            reference = references.pop(0)
            found = f"{queue}?q={reference}"
            page = self.get("agent", found, "admin: a request found by its reference (agent)")
            ids = SELECTED.findall(page.text)
            if ids and self.action("agent", found, action, ids[:1], name):
                self.get("agent", f"{queue}{ids[0]}/change/", "admin: a request's page (agent)")
                if action == "move_to_in_progress":
                    self.started.append(reference)

    def lead(self):
        """The Security Lead records an incident affecting 20 controllers, confirms them and
        notifies them (the notices go out as a job)."""
        self.round += 1
        add = "/admin/breaches/breachincident/add/"
        page = self.get("lead", add, "admin: new incident form (lead)")
        form = Form(page.text, having="title")
        day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
        for field, value in {
            "title": f"Bench incident {self.k}-{self.round}",
            "risk_level": "medium",
            "occurred_from_0": day,
            "occurred_from_1": "08:00:00",
            "became_aware_at_0": day,
            "became_aware_at_1": "09:00:00",
            "nature_confidentiality": "on",
            "description": "Logs with e-mail addresses were readable by another tenant.",
            "contact_point": "security@calljmp.example",
            "likely_consequences": "Exposure of e-mail addresses.",
            "measures_taken": "Access revoked; logs rotated.",
            "_continue": "1",
        }.items():
            form.set(field, value)
        form.set("affected_controllers", *self.me["affected"])
        location = self.post(
            "lead", add, form.data(), "write: lead records an incident (20 controllers)"
        )
        found = re.search(r"/breachincident/(\d+)/change/", location or "")
        if found:
            changelist = "/admin/breaches/breachincident/"
            self.action(
                "lead",
                changelist,
                "confirm_controllers",
                [found[1]],
                "write: lead confirms the 20 controllers",
            )
            self.action(
                "lead",
                changelist,
                "notify_controllers",
                [found[1]],
                "write: lead notifies the 20 controllers",
            )

    def officer(self):
        """The Privacy Officer edits the activity that lists 500 controllers: a sentence more in
        its description, and one controller added or taken off."""
        self.round += 1
        path = f"/admin/processors/processingactivity/{self.me['activity_id']}/change/"
        page = self.get("officer", path, "admin: the activity listing 500 controllers (officer)")
        form = Form(page.text, having="controllers")
        listed = form.get("controllers")
        toggle = str(self.me["toggle_controller_id"])
        form.set(
            "controllers",
            *([c for c in listed if c != toggle] if toggle in listed else [*listed, toggle]),
        )
        description = form.get("description")[0].split(" Reviewed")[0]
        form.set("description", f"{description} Reviewed by officer {self.k}, round {self.round}.")
        self.post(
            "officer", path, form.data(), "write: officer edits the activity (500 controllers)"
        )
