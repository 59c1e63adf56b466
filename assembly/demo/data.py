"""The demo: three networks of cooperatives from the Buenos Aires chapter in shared/domain.md."""

from __future__ import annotations

DEMO_PASSWORD = "asamblea"

# key: (name, kind, description)
ORGANISATIONS = {
    "rcc": (
        "RCC – Red de Construcción Cooperativa",
        "network",
        "Red de cooperativas y pymes de la construcción. Acuerdos de su primera reunión:\n\n"
        "1. Gestionar el espacio colectivamente y realizar plenarios con una periodicidad no "
        "menor a dos meses.\n"
        "2. Priorizar el trabajo dentro de la red, para reducir los tiempos muertos y dar "
        "trabajo estable a todas.\n"
        "3. Fijar estándares y mecanismos para fortalecer las capacidades de gestión e "
        "institucionales.\n"
        "4. Diseñar herramientas para aumentar las ventas del colectivo.\n\n"
        "Participa de la mesa de trabajo multisectorial de La Matanza desde julio de 2017.",
    ),
    "rmnc": (
        "RMNC – Red Metalúrgica Cooperativa",
        "network",
        "Red metalúrgica fundada en 2012. Menos del 60 % de la capacidad instalada en uso, "
        "maquinaria de más de 20 años, insumos entre el 60 y el 80 % del costo.",
    ),
    "rctps": (
        "RCTPS – Red de Cooperativas de Trabajo de Servicios Profesionales",
        "network",
        "Red de cooperativas de servicios profesionales, desde 2016. Realizó cuatro sesiones "
        "de problematización sobre organización, retiros, sostenibilidad y trabajo en red.",
    ),
    # RCC members
    "coinpo": ("Coinpo SA", "sme", "Estructuras metálicas, galpones y techos."),
    "la-nacional": ("La Nacional", "worker_cooperative", "Cooperativa de carpintería desde 2003."),
    "surco": ("Surco", "worker_cooperative", "Obras civiles."),
    "ingecoop": ("Ingecoop", "worker_cooperative", "Soluciones de ingeniería."),
    "17-de-octubre": ("17 de Octubre", "worker_cooperative", "Redes cloacales y de agua."),
    "tiluchis": ("Tiluchis", "worker_cooperative", "Construcción en general."),
    "janjetic": (
        "Janjetic Hermanos",
        "sme",
        "Venta mayorista de productos químicos y para la construcción.",
    ),
    "servicoop": ("Servicoop", "worker_cooperative", "Mantenimiento y remodelaciones."),
    # RMNC members
    "galaxia": ("Galaxia", "worker_cooperative", "Extractores de aire, ventiladores y campanas."),
    "mecber": ("Mecber", "worker_cooperative", "Piezas de aluminio mecanizado, cajas eléctricas."),
    "la-esperanza": ("La Esperanza", "worker_cooperative", "Extractores, motores y ventiladores."),
    "7-de-septiembre": (
        "7 de Septiembre",
        "worker_cooperative",
        "Motores para uso doméstico e industrial.",
    ),
    # RCTPS members (Ingecoop belongs to two networks)
    "cambalache": ("Cambalache", "worker_cooperative", "Geografía."),
    "gestionar": ("Gestionar", "worker_cooperative", "Consultoría."),
    "eccr": ("Estudio Cooperativo Contable de Rosario", "worker_cooperative", "Contabilidad."),
    "camba": ("Camba", "worker_cooperative", "Desarrollo de software."),
    "cooceplad": ("Cooceplad", "worker_cooperative", "Economistas."),
    "entropia": ("Entropía", "collective", "Psicólogas y psicólogos; cooperativa en formación."),
    "tava": ("Tava", "worker_cooperative", "Arquitectura."),
    "factorial": (
        "Factorial",
        "worker_cooperative",
        "Cooperativa de trabajo al servicio de las cooperativas y de la economía social, "
        "solidaria y popular.",
    ),
}

NETWORKS = {
    "rcc": [
        "coinpo", "la-nacional", "surco", "ingecoop", "17-de-octubre", "tiluchis", "janjetic",
        "servicoop",
    ],
    "rmnc": ["galaxia", "mecber", "la-esperanza", "7-de-septiembre"],
    "rctps": [
        "cambalache", "gestionar", "eccr", "camba", "cooceplad", "entropia", "ingecoop", "tava",
        "factorial",
    ],
}  # fmt: skip

# (email, name, gender, [(organisation, role)], [delegate of (member organisation, network)])
# The first people are the accounts listed in the README, one per role at least.
PEOPLE = [
    ("marta@demo.coop", "Marta Giménez", "woman",
     [("rctps", "admin"), ("factorial", "admin")], [("factorial", "rctps")]),
    ("lucia@demo.coop", "Lucía Fernández", "woman",
     [("rctps", "facilitator"), ("camba", "member")], []),
    ("carlos@demo.coop", "Carlos Benítez", "man",
     [("rctps", "secretary"), ("gestionar", "admin")], [("gestionar", "rctps")]),
    ("diego@demo.coop", "Diego Sosa", "man", [("camba", "member")], [("camba", "rctps")]),
    ("rosa@demo.coop", "Rosa Quispe", "woman",
     [("rcc", "admin"), ("la-nacional", "admin")], [("la-nacional", "rcc")]),
    ("jorge@demo.coop", "Jorge Acosta", "man", [("rcc", "facilitator"), ("surco", "member")], []),
    ("ana@demo.coop", "Ana Ledesma", "woman", [("rcc", "secretary"), ("ingecoop", "member")], []),
    ("hector@demo.coop", "Héctor Romero", "man",
     [("rmnc", "admin"), ("galaxia", "admin")], [("galaxia", "rmnc")]),
    ("valeria@demo.coop", "Valeria Paz", "woman", [("rmnc", "facilitator"), ("mecber", "member")],
     []),
    ("sol@demo.coop", "Sol Maidana", "non_binary", [("rmnc", "secretary"), ("factorial", "member")],
     []),
    ("nicolas@demo.coop", "Nicolás Herrera", None, [("factorial", "facilitator")], []),
    ("paula@demo.coop", "Paula Córdoba", "woman", [("factorial", "secretary")], []),
    ("martin@demo.coop", "Martín Ojeda", "man", [("factorial", "member")], []),
    ("camila@demo.coop", "Camila Ruiz", "woman", [("factorial", "member")], []),
]  # fmt: skip

# One admin (and delegate) and one member for every other member organisation.
_FIRST_NAMES = [
    "Alejandra", "Bruno", "Carla", "Damián", "Elena", "Fabián", "Gabriela", "Hugo", "Inés",
    "Julián", "Karina", "Leandro", "Mariela", "Néstor", "Olga", "Pablo", "Raquel", "Sergio",
    "Teresa", "Ulises", "Verónica", "Walter", "Ximena", "Yamila", "Zulma", "Agustín", "Belén",
    "Cristian", "Daniela", "Esteban", "Florencia", "Gustavo", "Hilda", "Iván", "Josefina",
    "Lorena", "Matías", "Noelia",
]  # fmt: skip
_SURNAMES = [
    "Álvarez", "Barrios", "Cabrera", "Duarte", "Escobar", "Flores", "Godoy", "Ibarra", "Juárez",
    "Luna", "Molina", "Núñez", "Ortiz", "Peralta", "Ríos", "Sánchez", "Toledo", "Vera", "Zárate",
]  # fmt: skip


def generated_people() -> list[tuple]:
    covered = {org for _e, _n, _g, memberships, _d in PEOPLE for org, _r in memberships}
    people, n = [], 0
    for members in NETWORKS.values():
        for org in members:
            if org in covered:
                continue
            covered.add(org)
            for role in ("admin", "member"):
                first = _FIRST_NAMES[n % len(_FIRST_NAMES)]
                surname = _SURNAMES[(n * 7) % len(_SURNAMES)]
                gender = (
                    "woman"
                    if first.endswith("a") or first in {"Inés", "Belén", "Raquel"}
                    else "man"
                )
                email = f"{org}.{role}@demo.coop"
                delegations = (
                    [(org, net) for net, orgs in NETWORKS.items() if org in orgs]
                    if role == "admin"
                    else []
                )
                people.append((email, f"{first} {surname}", gender, [(org, role)], delegations))
                n += 1
    return people


# The RCTPS's problematisation sessions (shared/domain.md): four workshops, the questions the
# members chose for each, and the topics recorded with their main points discussed.
# Each session: (title, date, [(question, [(topic, main points, [(card, author e-mail)])])]).
RCTPS_PROCESS = {
    "title": "Sesiones de problematización de la RCTPS",
    "description": (
        "Cuatro talleres para pensar juntas y juntos cómo nos organizamos, cómo nos "
        "retribuimos, cómo sostenemos las cooperativas y cómo trabajamos en red. Las "
        "preguntas las propusieron y priorizaron las cooperativas de la red."
    ),
    "sessions": [
        (
            "Organización y decisiones",
            "2019-04-06",
            [
                (
                    "¿Por qué nos organizamos como cooperativa de trabajo?",
                    [
                        (
                            "La perspectiva política del trabajo",
                            "- La persona antes que el capital.\n"
                            "- Organización democrática y propiedad conjunta.\n"
                            "- Decisiones participativas y **autogestión**.",
                            [
                                ("La persona antes que el capital", "marta@demo.coop"),
                                ("Queríamos ser dueñas de nuestro trabajo", "lucia@demo.coop"),
                                ("Decidir entre todos, no un patrón", "diego@demo.coop"),
                            ],
                        ),
                    ],
                ),
                ("¿Cómo se toman las decisiones?", []),
                ("¿Hay distintos niveles de compromiso entre las asociadas y los asociados?", []),
                ("¿Cómo se incorporan nuevas asociadas y asociados?", []),
            ],
        ),
        (
            "Retiros y sostenibilidad de corto plazo",
            "2019-05-04",
            [
                (
                    "Esquemas de retiros: ¿cómo retribuye cada cooperativa a sus asociados y "
                    "cómo cambió con el tiempo?",
                    [
                        (
                            "La planificación del trabajo cooperativo",
                            "- Cómo generamos y distribuimos el trabajo.\n"
                            "- La organización interna.\n"
                            "- Órganos y herramientas de gobierno.\n"
                            "- Cómo repartimos los excedentes.",
                            [
                                ("Retiro igualitario por hora trabajada", "carlos@demo.coop"),
                                ("Repartir excedentes en asamblea", "marta@demo.coop"),
                            ],
                        ),
                    ],
                ),
                ("Sostenibilidad de corto plazo", []),
            ],
        ),
        (
            "Sostenibilidad de largo plazo",
            "2019-06-01",
            [
                ("Perfiles de trabajo, clientes y usuarios", []),
                (
                    "Financiamiento, capitalización, presupuestos y planificación económica",
                    [
                        (
                            "Sostenibilidad de largo plazo",
                            "- Presupuestar por mercado y por cliente.\n"
                            "- La capacidad de producción.\n"
                            "- El financiamiento.\n"
                            "- La estructura de costos de la cooperativa.",
                            [
                                ("Presupuestos por cliente", "lucia@demo.coop"),
                                ("Fondo de capitalización común", "carlos@demo.coop"),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        (
            "El trabajo en red",
            "2019-07-06",
            [
                ("El trabajo dentro de la cooperativa", []),
                ("El trabajo interdisciplinario entre cooperativas", []),
                (
                    "Objetivos y propuestas de la red",
                    [
                        (
                            "Trabajar en y para el sector",
                            "- Intercambiar experiencias.\n"
                            "- Prácticas de trabajo solidario y comunitario.",
                            [
                                ("Compartir herramientas entre cooperativas", "diego@demo.coop"),
                                ("Trabajo comunitario en los barrios", "marta@demo.coop"),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ],
}


# Action plans kept as commitments (shared/domain.md). Dates are days from the day the demo is
# loaded, so "overdue" and "due soon" mean something whenever it is tried. An owner is a person
# of the network ("email") or a member organisation through a person ("org:email").
# Each: (what, time frame, owners, days from the meeting to the due date,
#        [(days from the meeting, status or None, note)]): the follow-up so far.
RMNC_PLAN = {
    "meeting": ("Plenario de la RMNC: plan de acción", -150),
    "facilitator": "valeria@demo.coop",
    "secretary": "sol@demo.coop",
    "commitments": [
        (
            "Armar una página web comercial de la red",
            "short",
            ["galaxia:hector@demo.coop"],
            60,
            [
                (20, "in_progress", "Pedimos tres presupuestos; elegimos hacerla con Camba."),
                (
                    55,
                    "done",
                    "La página está publicada con los productos de las cuatro cooperativas.",
                ),
            ],
        ),
        (
            "Vender por comercio electrónico en redes sociales",
            "short",
            ["mecber:valeria@demo.coop"],
            90,
            [
                (40, "in_progress", "Abrimos las cuentas de la red; falta quién las atienda."),
                (95, "renegotiated", "Nos falta una persona para responder consultas; lo pasamos."),
            ],
        ),
        (
            "Hacer un catálogo de productos de la red",
            "short",
            ["la-esperanza:la-esperanza.admin@demo.coop"],
            60,
            [
                (30, None, "Fotos de extractores y ventiladores listas; faltan los motores."),
                (75, "done", "Catálogo impreso y en PDF."),
            ],
        ),
        (
            "Crear un área comercial: paquetes de oferta, promoción y base de contactos",
            "short",
            ["sol@demo.coop", "7-de-septiembre:7-de-septiembre.admin@demo.coop"],
            140,
            [(60, "in_progress", "Base de contactos con 120 clientes de las cuatro cooperativas.")],
        ),
        (
            "Comerciar entre las cooperativas de la red en lugar de tercerizar",
            "medium",
            ["galaxia:hector@demo.coop", "mecber:valeria@demo.coop"],
            300,
            [(70, "in_progress", "Mecber ya mecaniza las piezas de aluminio de Galaxia.")],
        ),
        (
            "Comprar los insumos en forma conjunta",
            "medium",
            ["valeria@demo.coop"],
            240,
            [(45, "in_progress", "Primera compra conjunta de chapa: 12 % menos que por separado.")],
        ),
        (
            "Usar y rotar la maquinaria en forma compartida",
            "medium",
            ["la-esperanza:la-esperanza.admin@demo.coop"],
            360,
            [],
        ),
        (
            "Compartir el mantenimiento y la administración",
            "medium",
            ["sol@demo.coop"],
            330,
            [(80, "blocked", "Esperamos el acuerdo de las asambleas de cada cooperativa.")],
        ),
        ("Gestionar líneas de financiamiento conjuntas", "medium", ["hector@demo.coop"], 365, []),
        (
            "Organizar una logística de transporte propia",
            "medium",
            ["7-de-septiembre:7-de-septiembre.admin@demo.coop"],
            420,
            [],
        ),
        ("Integrar verticalmente la cadena productiva", "long", ["hector@demo.coop"], 900, []),
        (
            "Inversiones estratégicas: equipamiento, instalaciones propias, investigación y "
            "desarrollo",
            "long",
            ["valeria@demo.coop", "galaxia:hector@demo.coop"],
            1000,
            [],
        ),
    ],
}

RCC_AGREEMENTS = {
    "meeting": ("Primera reunión de la RCC", -420),
    "facilitator": "jorge@demo.coop",
    "secretary": "ana@demo.coop",
    "commitments": [
        ("Gestionar el espacio colectivamente y realizar plenarios con una periodicidad no "
         "menor a dos meses", "short",
         ["jorge@demo.coop", "ana@demo.coop"], 480,
         [(58, "in_progress", "Segundo plenario realizado; fijamos plenarios cada dos meses."),
          (300, None, "Van seis plenarios seguidos, con siete de las ocho organizaciones.")]),
        ("Priorizar el trabajo dentro de la red, para reducir los tiempos muertos y dar trabajo "
         "estable a todas", "medium",
         ["coinpo:coinpo.admin@demo.coop", "la-nacional:rosa@demo.coop"], 365,
         [(90, "in_progress", "Coinpo subcontrató a La Nacional para las aberturas de dos "
           "galpones."),
          (250, None, "Tres obras compartidas entre Surco, Tiluchis y 17 de Octubre.")]),
        ("Fijar estándares y mecanismos para fortalecer las capacidades de gestión e "
         "institucionales", "medium",
         ["ana@demo.coop"], 240,
         [(120, "blocked", "Falta acordar quién sostiene las capacitaciones."),
          (245, "renegotiated", "Lo retomamos con el apoyo de Factorial.")]),
        ("Diseñar herramientas para aumentar las ventas del colectivo", "short",
         ["rosa@demo.coop", "janjetic:janjetic.admin@demo.coop"], 120,
         [(60, "in_progress", "Presentamos la red en la mesa de trabajo multisectorial de "
           "La Matanza."),
          (110, "done", "Folleto común y una lista de precios compartida.")]),
    ],
}  # fmt: skip
