"""How fast the knowledge base searches a big archive: `assembly bench search` (targets: query
p95 under 50 ms on SQLite and on PostgreSQL, the most frequent words included).

100,000 decisions of 1-2 KB across 50 organisations, their text drawn from a vocabulary of
meeting Spanish (function words, nouns and adjectives in both numbers, verbs in several persons)
with a Zipf-like frequency, so a handful of words are in most texts and most words are rare, as
in real minutes. The index is built through the same code `assembly reindex` runs. Then 1,000
queries, each as a member of one organisation (some of two): frequent words, words of any
frequency, two-word queries, phrases lifted from a text, and prefixes. Each query is a whole
search as the page makes it: the person's organisations and rights, the ranked page of 20
results, the count and the snippets.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time

import numpy as np

from assembly.bench.common import PASSWORD, bench_app, fresh_database, percentile, say


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = _words(
    "de la que el en y a los se del las un por con no una su para es al lo como más pero sus le "
    "ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien desde "
    "todo nos durante todos uno les ni contra otros ese eso ante ellos e esto mí antes algunos "
    "qué unos yo otro otras otra él tanto esa estos mucho quienes nada muchos cual poco ella "
    "estar estas algunas algo nosotros"
)
NOUNS = _words(
    "asamblea acta cooperativa socia socio consejo comisión propuesta votación decisión "
    "presupuesto retiro excedente balance fondo compra venta cliente proveedor turno horario "
    "máquina mantenimiento capacitación educación reunión orden día punto informe tesorería "
    "secretaría sindicatura reglamento estatuto cuota aporte capital deuda crédito préstamo banco "
    "cuenta pago factura precio costo gasto ingreso trabajo tarea guardia planta galpón local "
    "alquiler luz gas agua seguridad higiene salud licencia vacaciones feriado jornada semana mes "
    "año plan objetivo meta prioridad problema conflicto acuerdo compromiso seguimiento "
    "responsable equipo área sector producción pedido entrega stock insumo harina pan panadería "
    "imprenta textil tela costura diseño software servicio obra construcción vivienda barrio "
    "municipio ministerio ley resolución subsidio programa proyecto red federación mercado feria "
    "comercialización comunicación difusión redes prensa nota evento jornada taller encuentro "
    "plenario delegada delegado representante mandato elección lista candidatura renovación cargo "
    "autoridad quórum mayoría unanimidad abstención moción enmienda debate opinión pregunta "
    "respuesta consulta asesoría contador abogada escribana auditoría memoria inventario "
    "patrimonio amortización inversión herramienta vehículo camioneta combustible flete logística "
    "depósito seguro accidente riesgo emergencia protocolo cuidado género diversidad inclusión "
    "ingreso egreso admisión prueba período antigüedad categoría escala valor hora adelanto "
    "quincena aguinaldo monotributo impuesto afip inaes matrícula registro certificado "
    "habilitación inspección"
)
ADJECTIVES = _words(
    "nuevo anual mensual ordinario extraordinario urgente importante general particular económico "
    "social político técnico administrativo legal interno externo común colectivo mínimo máximo "
    "próximo anterior pendiente aprobado rechazado provisorio definitivo necesario posible "
    "difícil fácil grande pequeño alto bajo largo corto claro justo"
)
VERBS = _words(
    "aprobar decidir votar proponer priorizar discutir revisar presentar informar solicitar "
    "organizar planificar comprar vender pagar cobrar contratar renovar elegir designar analizar "
    "evaluar resolver acordar comunicar convocar postergar rechazar modificar incorporar "
    "distribuir asignar cumplir entregar registrar"
)
ENDINGS = {"ar": ("amos", "an", "ó", "aron", "ará", "ado"), "er": ("emos", "en", "ió", "ido")}


def _plural(word: str) -> str:
    if word.endswith(("ón", "ión")):
        return word[:-2] + "ones"
    if word[-1] in "aeiouáéó":
        return word + "s"
    if word.endswith("z"):
        return word[:-1] + "ces"
    return word + "es"


def vocabulary(seed: int) -> tuple[list[str], np.ndarray]:
    """Word forms and their probabilities: function words first, then content words in a
    shuffled order, weighted 1/rank (Zipf)."""
    content = []
    for noun in NOUNS:
        content += [noun, _plural(noun)]
    for adjective in ADJECTIVES:
        stem = adjective[:-1] if adjective.endswith("o") else adjective
        content += [adjective, _plural(adjective)]
        if adjective.endswith("o"):
            content += [stem + "a", stem + "as"]
    for verb in VERBS:
        content.append(verb)
        content += [verb[:-2] + ending for ending in ENDINGS.get(verb[-2:], ENDINGS["ar"])]
    content = list(dict.fromkeys(content))
    random.Random(seed).shuffle(content)
    words = FUNCTION_WORDS + content
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    weights = 1.0 / ranks**1.05
    return words, weights / weights.sum()


def texts(count: int, seed: int):
    """(title, body) pairs: a title of 4-9 words, a body of 1-2 KB in sentences."""
    words, probabilities = vocabulary(seed)
    rng = np.random.default_rng(seed)
    pool = rng.choice(len(words), size=400_000, p=probabilities)
    position = 0
    for _ in range(count):
        size = int(rng.integers(1024, 2048))
        sentences, length = [], 0
        while length < size:
            n = int(rng.integers(8, 22))
            if position + n > len(pool):
                pool = rng.choice(len(words), size=400_000, p=probabilities)
                position = 0
            sentence = " ".join(words[i] for i in pool[position : position + n])
            position += n
            sentence = sentence[0].upper() + sentence[1:] + "."
            sentences.append(sentence)
            length += len(sentence) + 1
        body = " ".join(sentences)[:size]
        title_words = body.split()[: int(rng.integers(4, 10))]
        yield " ".join(title_words).rstrip(".").capitalize(), body


def _queries(count: int, seed: int, bodies: list[str]) -> list[tuple[str, str]]:
    """(kind of query, query): frequent words, any words, pairs, phrases and prefixes."""
    words, probabilities = vocabulary(seed)
    content = [w for w in words if w not in set(FUNCTION_WORDS)]
    weights = np.array([probabilities[words.index(w)] for w in content])
    weights /= weights.sum()
    frequent = content[:10]
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed + 1)
    found = []
    for n in range(count):
        kind = ("frequent", "word", "two words", "phrase", "prefix")[n % 5]
        if kind == "frequent":
            query = rng.choice(frequent)
        elif kind == "word":
            query = content[int(nprng.choice(len(content), p=weights))]
        elif kind == "two words":
            a, b = nprng.choice(len(content), size=2, p=weights)
            query = f"{content[int(a)]} {content[int(b)]}"
        elif kind == "phrase":
            tokens = [t.strip(".").lower() for t in rng.choice(bodies).split()]
            start = rng.randrange(0, max(1, len(tokens) - 3))
            query = '"' + " ".join(tokens[start : start + rng.choice((2, 3))]) + '"'
        else:
            word = content[int(nprng.choice(len(content), p=weights))]
            query = word[: max(3, min(len(word) - 1, rng.choice((3, 4, 5))))] + "*"
        found.append((kind, query))
    return found


def _database_mb(database_url: str, workdir: str) -> float:
    from sqlalchemy import text

    from assembly.extensions import db

    if database_url.startswith("sqlite"):
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # the file, not its log
        path = os.path.join(workdir, "bench.sqlite3")
        size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
        return round(size / 2**20, 1)
    size = db.session.execute(
        text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
    ).scalar_one()
    return round(int(size) / 2**20, 1)


def run_search_benchmark(
    documents: int = 100_000,
    organisations: int = 50,
    queries: int = 1000,
    seed: int = 11,
    database_url: str | None = None,
) -> dict:
    from datetime import datetime, timedelta

    from sqlalchemy import insert, select, text

    from assembly.accounts.models import User
    from assembly.accounts.service import hash_password
    from assembly.commands import upgrade_database
    from assembly.extensions import db
    from assembly.organisations.models import Membership, OrganisationKind, Role
    from assembly.organisations.service import create_organisation
    from assembly.search import service
    from assembly.voting.models import Decision

    with fresh_database(database_url) as (url, workdir):
        app = bench_app(url)
        with app.app_context():
            upgrade_database()
            orgs = [
                create_organisation(f"Cooperativa {n:02d}", OrganisationKind.WORKER_COOPERATIVE)
                for n in range(organisations)
            ]
            password_hash = hash_password(PASSWORD)
            people = [
                User(
                    email=f"socia{n}@bench.example",
                    display_name=f"Socia {n}",
                    password_hash=password_hash,
                )
                for n in range(organisations * 2)
            ]
            db.session.add_all(people)
            db.session.flush()
            memberships = []
            for n, person in enumerate(people):
                org = orgs[n % organisations]
                memberships.append((person.id, org.id))
                if n % 10 == 0:  # some are members of a second organisation
                    memberships.append((person.id, orgs[(n + 7) % organisations].id))
            db.session.execute(
                insert(Membership),
                [{"user_id": u, "organisation_id": o, "role": Role.MEMBER} for u, o in memberships],
            )
            db.session.commit()
            person_ids = [p.id for p in people]
            org_ids = [o.id for o in orgs]

            say(f"writing {documents} decisions")
            start = datetime(2020, 1, 1)
            bodies_sample = []
            batch = []
            for n, (title, body) in enumerate(texts(documents, seed)):
                if n % 997 == 0:
                    bodies_sample.append(body)
                batch.append(
                    {
                        "organisation_id": org_ids[n % organisations],
                        "title": title,
                        "text": body,
                        "decided_at": start + timedelta(hours=n),
                        "tally": {},
                    }
                )
                if len(batch) == 5000:
                    db.session.execute(insert(Decision), batch)
                    batch = []
            if batch:
                db.session.execute(insert(Decision), batch)
            db.session.commit()

            say("indexing")
            began = time.perf_counter()
            indexed = service.reindex(batch=2000)
            db.session.commit()
            if url.startswith("postgres"):
                db.session.execute(text("ANALYZE search_document"))
                db.session.commit()
            index_seconds = time.perf_counter() - began
            database_mb = _database_mb(url, workdir)

        say(f"running {queries} queries")
        plan = _queries(queries, seed, bodies_sample)
        rng = random.Random(seed)
        timings: dict[str, list[float]] = {}
        cpu: list[float] = []
        matched = 0
        load_before = os.getloadavg()[0]
        for kind, query in plan:
            person_id = rng.choice(person_ids)
            with app.app_context():
                user = db.session.get(User, person_id)
                began, began_cpu = time.perf_counter(), time.process_time()
                results = service.search(user, query)
                elapsed = (time.perf_counter() - began) * 1000
                cpu.append((time.process_time() - began_cpu) * 1000)
                matched += results.total > 0
                db.session.remove()
            timings.setdefault(kind, []).append(elapsed)
        everything = [t for values in timings.values() for t in values]
        with app.app_context():
            frequent_share = _frequent_share(seed, db, select, service)
        return {
            "documents": indexed,
            "organisations": organisations,
            "queries": len(everything),
            "queries_with_results": matched,
            "index_seconds": round(index_seconds, 1),
            "query_p50_ms": round(statistics.median(everything), 1),
            "query_p95_ms": round(percentile(everything, 0.95), 1),
            "frequent_term_p95_ms": round(percentile(timings["frequent"], 0.95), 1),
            "frequent_term_document_share": frequent_share,
            "p95_ms_by_kind": {k: round(percentile(v, 0.95), 1) for k, v in timings.items()},
            "database_mb": database_mb,
            # This process's CPU per query: on SQLite all of a search's work, on PostgreSQL all
            # but the server's. Against the wall-clock figures it shows what waiting for a CPU
            # on a shared machine added.
            "query_cpu_p50_ms": round(statistics.median(cpu), 1),
            "query_cpu_p95_ms": round(percentile(cpu, 0.95), 1),
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "database": "postgresql" if url.startswith("postgres") else "sqlite",
        }


def _frequent_share(seed, db, select, service) -> float:
    """The share of documents that hold the most frequent content word."""
    from sqlalchemy import func

    from assembly.search.models import SearchDocument
    from assembly.search.terms import index_terms

    words, _ = vocabulary(seed)
    top = next(w for w in words if w not in set(FUNCTION_WORDS))
    stem = index_terms(top)
    total = db.session.scalar(select(func.count()).select_from(SearchDocument))
    sample = db.session.scalars(select(SearchDocument.body_terms).limit(2000)).all()
    share = sum(f" {stem} " in f" {terms} " for terms in sample) / max(1, len(sample))
    return round(share, 2) if total else 0.0


def main(
    documents: int, organisations: int, queries: int, seed: int, database_url: str | None
) -> None:
    print(json.dumps(run_search_benchmark(documents, organisations, queries, seed, database_url)))
