from tests.conftest import mutation, visit_data


def test_staff_pushes_a_visit_and_pulls_it_back(staff, own_recipient):
    data = visit_data(own_recipient["id"])
    [result] = staff.push(mutation("visit.create", data))
    assert result["status"] == "applied"
    changes, _ = staff.pull_all()
    assert changes[("visit", data["id"])]["data"]["notes"] == "身体状况良好"
