"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from assembly.accounts import models as accounts  # noqa: F401
from assembly.commitments import models as commitments  # noqa: F401
from assembly.meetings import models as meetings  # noqa: F401
from assembly.minutes import models as minutes  # noqa: F401
from assembly.organisations import models as organisations  # noqa: F401
from assembly.proposals import models as proposals  # noqa: F401
from assembly.search import models as search  # noqa: F401
from assembly.voting import models as voting  # noqa: F401
from assembly.workshops import models as workshops  # noqa: F401
