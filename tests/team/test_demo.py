import re

from app.demo import DEMO_PASSWORD
from tests.conftest import Visitor


def test_the_demo_has_priya_with_a_roster_of_her_own_and_prints_her_login(app):
    result = app.test_cli_runner().invoke(args=["porch", "demo"])
    assert result.exit_code == 0, result.output
    assert re.search(r"priya@brunswick\.example +practitioner \(Priya Shah\)", result.output)
    priya = Visitor(app.test_client())
    priya.login("priya@brunswick.example", DEMO_PASSWORD)
    page = priya.get("/clients").get_data(as_text=True)
    assert re.findall(r'<a href="/clients/\d+">([^<]+)</a>', page) == ["Hana Sato", "Mateo Silva", "Jonah Weiss"]
    assert "Aisha" not in page
