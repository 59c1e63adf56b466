"""Built-in agenda templates, in the cooperatives' own words (Spanish, as they use them).

Each item is {"title", "kind", "planned_minutes", "description", "children": [...]}, the same
shape `AgendaTemplate.items` keeps for an organisation's saved agendas. A built-in item may also
say `"per_member": True`: in a network, it then gets one sub-item per member organisation, which
share the item's time (`expand`). Every built-in template fits the meeting length it is written
for (`minutes`), and every item's sub-items fit the item (tests/test_agenda_templates.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from assembly.meetings.models import AgendaItemKind, MeetingKind

BUILTIN_PREFIX = "builtin:"
SAVED_PREFIX = "saved:"


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    kind: MeetingKind
    items: tuple[dict, ...]
    minutes: int  # the length of the meeting the template is written for
    networks_only: bool = False

    @property
    def choice_key(self) -> str:
        return BUILTIN_PREFIX + self.key


def _item(title, kind, minutes, description="", children=(), **extra) -> dict:
    return {
        "title": title,
        "kind": kind.value,
        "planned_minutes": minutes,
        "description": description,
        "children": list(children),
        **extra,
    }


ORDINARY_ASSEMBLY = BuiltinTemplate(
    key="ordinary_assembly",
    name="Asamblea ordinaria",
    kind=MeetingKind.ORDINARY,
    minutes=120,
    items=(
        _item("Apertura y verificación del quórum", AgendaItemKind.INFORMATION, 5),
        _item(
            "Lectura y aprobación del acta anterior",
            AgendaItemKind.DECISION,
            10,
            "Se lee el acta de la asamblea anterior y se aprueba o se corrige.",
        ),
        _item(
            "Informe del consejo de administración",
            AgendaItemKind.INFORMATION,
            20,
            children=[
                _item("Situación económica y financiera", AgendaItemKind.INFORMATION, 10),
                _item("Marcha del trabajo y de los clientes", AgendaItemKind.INFORMATION, 10),
            ],
        ),
        _item(
            "Revisión de compromisos de la asamblea anterior",
            AgendaItemKind.COMMITMENTS_REVIEW,
            15,
            "Quién se comprometió a qué, y en qué quedó.",
        ),
        _item(
            "Temas a decidir",
            AgendaItemKind.DECISION,
            40,
            "Las propuestas que presentaron las y los asociados antes de la asamblea.",
        ),
        _item("Varios", AgendaItemKind.OTHER, 10),
        _item("Cierre y próxima fecha", AgendaItemKind.INFORMATION, 5),
    ),
)

PROBLEMATISATION_SESSION = BuiltinTemplate(
    key="problematisation_session",
    name="Taller de problematización",
    kind=MeetingKind.WORKSHOP,
    minutes=150,
    items=(
        _item(
            "Apertura y ronda de expectativas",
            AgendaItemKind.INFORMATION,
            15,
            "Cada participante cuenta con qué expectativa llega al taller.",
        ),
        _item(
            "Preguntas de problematización",
            AgendaItemKind.QUESTION,
            80,
            "Trabajamos cada pregunta en grupos y la ponemos en común.",
            children=[
                _item(
                    "¿Por qué nos organizamos como cooperativa de trabajo?",
                    AgendaItemKind.QUESTION,
                    20,
                ),
                _item("¿Cómo se toman las decisiones?", AgendaItemKind.QUESTION, 20),
                _item(
                    "¿Cómo definimos nuestros esquemas de retiros?",
                    AgendaItemKind.QUESTION,
                    20,
                ),
                _item(
                    "¿Cómo nos sostenemos en el largo plazo, y qué trabajo hacemos entre "
                    "cooperativas?",
                    AgendaItemKind.QUESTION,
                    20,
                ),
            ],
        ),
        _item(
            "Puntos principales por tema",
            AgendaItemKind.DEBATE,
            25,
            "Síntesis: los puntos principales de cada pregunta, para que queden registrados.",
        ),
        _item(
            "Cierre: acuerdos y próximos pasos",
            AgendaItemKind.COMMITMENTS_REVIEW,
            10,
        ),
    ),
)

NETWORK_PLENARY = BuiltinTemplate(
    key="network_plenary",
    name="Plenario de la red",
    kind=MeetingKind.PLENARY,
    minutes=120,
    networks_only=True,
    items=(
        _item(
            "Apertura y acreditación de delegadas y delegados",
            AgendaItemKind.INFORMATION,
            10,
        ),
        _item(
            "Informe de cada organización miembro",
            AgendaItemKind.INFORMATION,
            40,
            "Cada organización cuenta cómo está y qué necesita de la red.",
            per_member=True,
        ),
        _item("Revisión de compromisos", AgendaItemKind.COMMITMENTS_REVIEW, 20),
        _item("Propuestas", AgendaItemKind.DECISION, 40),
        _item("Próxima fecha y cierre", AgendaItemKind.DECISION, 10),
    ),
)

BUILTIN_TEMPLATES: dict[str, BuiltinTemplate] = {
    t.key: t for t in (ORDINARY_ASSEMBLY, PROBLEMATISATION_SESSION, NETWORK_PLENARY)
}

# The most minutes each member organisation gets for its report when a template gives one per
# member; with many members they share the item's time instead.
MINUTES_PER_MEMBER_REPORT = 5


def per_member_minutes(item_minutes: int, members: int) -> int:
    """Each member's share of an item's time: at most MINUTES_PER_MEMBER_REPORT, at least one
    minute (so up to `item_minutes` members fit; beyond, the agenda says it does not fit)."""
    if members <= 0:
        return MINUTES_PER_MEMBER_REPORT
    return max(1, min(MINUTES_PER_MEMBER_REPORT, item_minutes // members))


def expand(items, member_names: list[str] | None) -> list[dict]:
    """The template's items as they go on a meeting: in a network (`member_names` given), an
    item marked `per_member` gets one sub-item per member organisation, sharing its time."""
    expanded = []
    for spec in items:
        if not isinstance(spec, dict):
            continue
        spec = dict(spec)
        if spec.get("per_member") and member_names is not None:
            try:
                share = int(spec.get("planned_minutes"))
            except (TypeError, ValueError):
                share = 0
            minutes = per_member_minutes(share, len(member_names))
            spec["children"] = [
                {"title": name, "kind": spec.get("kind"), "planned_minutes": minutes}
                for name in member_names
            ]
        expanded.append(spec)
    return expanded
