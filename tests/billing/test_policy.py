"""Who may bill a client, record a payment, void an invoice and refund a card payment."""

import pytest

from app.billing.policy import may_bill, may_record_payment, may_refund, may_void
from tests.conftest import make_portal_account

#           (person, client)           bill   record  void   refund
TABLE = [
    (("owner", "aisha"),              (True,  True,   True,  True)),
    (("admin", "aisha"),              (True,  True,   True,  True)),
    (("carlos", "aisha"),             (True,  True,   False, False)),  # on Aisha's care team
    (("priya", "aisha"),              (False, False,  False, False)),  # not on it
    (("outsider", "aisha"),           (False, False,  False, False)),  # another practice's owner
    (("aisha_account", "aisha"),      (False, False,  False, False)),  # the client herself
]


@pytest.mark.parametrize("who, expected", TABLE, ids=[f"{person}-{client}" for (person, client), _ in TABLE])
def test_it_answers_each_row_of_the_billing_table(practice, outsider, who, expected):
    person, client = who
    people = {"owner": practice.owner, "admin": practice.admin, "carlos": practice.carlos, "priya": practice.priya,
              "outsider": outsider.owner}
    user = make_portal_account(practice.aisha) if person == "aisha_account" else people[person]
    target = getattr(practice, client)
    answers = tuple(rule(user, target) for rule in (may_bill, may_record_payment, may_void, may_refund))
    assert answers == expected
