import pytest
from tests.conftest import make_event
pytestmark = pytest.mark.django_db

def test_x(admin_client):
    e = make_event()
    r = admin_client.get("/admin/offices/office/add/?event="+e.pk)
    print(r.status_code, r.content.decode()[-6000:])
