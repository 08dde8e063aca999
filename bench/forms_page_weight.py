"""What the demo client's phone downloads to fill in a PHQ-9 and to see appointments, gzip -9 compressed.

Run from the repository root: .venv/bin/python bench/forms_page_weight.py (prints numbers; no budget of its own).
"""

import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.page_weight import DEMO_CLIENT, on_the_wire, parts_of, sign_in  # noqa: E402


def main() -> int:
    from flask_migrate import upgrade

    from app import create_app
    from app.appointments.models import Appointment
    from app.clients.models import Client
    from app.db import db
    from app.demo import DEMO_PASSWORD, load_demo_practice
    from app.forms.service import send_form

    with tempfile.TemporaryDirectory(prefix="porch-bench-") as directory:
        for name in ("REDIS_URL", "SMTP_URL", "PORCH_ENV", "SECRET_KEY", "PORCH_ENCRYPTION_KEYS"):
            os.environ.pop(name, None)
        os.environ.update({"DATABASE_URL": f"sqlite:///{directory}/porch.db", "PORCH_RUN_JOBS": "0",
                           "PORCH_INSTANCE_PATH": f"{directory}/instance"})
        app = create_app()
        with app.app_context():
            upgrade(revision="heads")
            load_demo_practice()
            aisha = db.session.query(Client).filter_by(email=DEMO_CLIENT).one()
            form_id = send_form(aisha, None, "builtin:phq9").id
            appointment_id = db.session.query(Appointment.id).filter_by(client_id=aisha.id).scalar()
            db.session.commit()
        client = app.test_client()
        sign_in(client, DEMO_CLIENT, DEMO_PASSWORD)
        page = client.get(f"/portal/forms/{form_id}").get_data()
        scripts = [a["url"] for a in parts_of(page.decode()).assets if a["kind"] == "script"]
        own = [url for url in scripts if "form_draft.js" in url]
        shown = {f"shown-q{n}": "" for n in range(1, 10)} | {"shown-difficulty": ""}
        token = parts_of(page.decode()).csrf_token
        draft = client.post(f"/portal/forms/{form_id}/draft", data={**shown, "answer-q1": "1", "csrf_token": token},
                            headers={"HX-Request": "true"}).get_data()
        rows = [
            ("GET /portal/forms/<id> (PHQ-9 to fill in, HTML)", on_the_wire(page)),
            ("GET /static/form_draft.js (only on that page)", on_the_wire(client.get(own[0]).get_data())),
            ("POST /portal/forms/<id>/draft (htmx answer, one question)", on_the_wire(draft)),
            ("GET /portal/forms (HTML)", on_the_wire(client.get("/portal/forms").get_data())),
            ("GET /portal/appointments (HTML)", on_the_wire(client.get("/portal/appointments").get_data())),
            ("GET /portal/appointments/<id>.ics (raw bytes)",
             len(client.get(f"/portal/appointments/{appointment_id}.ics").get_data())),
        ]
        with app.app_context():
            db.engine.dispose()
    print("Forms and appointments pages of the demo client, bytes after gzip -9 (1 KB = 1000 bytes)\n")
    for what, size in rows:
        print(f"{what:<62} {size:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
