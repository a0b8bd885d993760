"""A deterministic synthetic UPR corpus at full scale, as template CSV files.

The real exports stop in 2018 and hold no assessment; a coalition server after a few years
holds every state's four cycles and a dated history per recommendation. This generator makes
that: by default 156,000 recommendations (all 195 states x cycles 1-4, more per review in
later cycles, as in the real UPR), texts of realistic length (median ~130 characters, from
about 60 to 500, as in UPR Info's export) built from the 56 UPR Info issues, recommending
states drawn with the real skew (a few states make most recommendations; one in six
recommendations is made by two or three states), supported / noted as in the real data, and
at least three assessments each (a third get a fourth) from different sources, with dated
progress, regressions and disagreements between sources.

Output: ``round1.csv`` ... ``round4.csv`` in the project's template (tracker/template_format.py).
Round k holds the recommendations assessed in round k, each with its k-th assessment in the
status columns; importing all the files in one ``import`` gives every recommendation its
whole history (a template CSV row carries one assessment; the rows of the same
recommendation in later files are recognised by the identity rule and add theirs).

Same ``--seed``, ``--recommendations`` and ``--cycles``, same files, byte for byte. The
million-recommendation corpus of bench/million.py is ``--recommendations 1000000 --cycles 5``:
UHRI-scale growth (six times the recommendations per review) and the fifth cycle's reviews
held by the fixed present (assessments cannot be dated in the future).

    .venv/bin/python bench/synth.py OUT_DIR [--recommendations 156000] [--seed 7] [--cycles 4]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.identity import normalise_text  # noqa: E402
from tracker.states import reference_states  # noqa: E402
from tracker.template_format import TEMPLATE_COLUMNS  # noqa: E402
from tracker.vocab import sessions_of_cycle  # noqa: E402

GENERATOR_VERSION = 3  # bump when the output changes (cached corpora are rebuilt)
DEFAULT_RECOMMENDATIONS = 156_000
DEFAULT_SEED = 7
CYCLES = (1, 2, 3, 4)
# Share of a state's recommendations per cycle (the real UPR grew: ~20, 40, 60, 70 per review
# ... on average; cycles 3 and 4 hold most).
CYCLE_WEIGHTS = {1: 0.12, 2: 0.24, 3: 0.31, 4: 0.33}
LATER_CYCLE_WEIGHT = 0.36  # cycle 5 and later (``--cycles``): the growth goes on
# The million-recommendation corpus (bench/million.py, issue #19): UHRI-scale growth, i.e.
# six times the recommendations per review, and the fifth cycle's reviews held so far.
MILLION_RECOMMENDATIONS = 1_000_000
MILLION_CYCLES = 5
FIRST_SESSION = dt.date(2008, 4, 7)  # session 1; three sessions a year since
ROUNDS = 3  # every recommendation gets at least this many assessments
FOURTH_ROUND_SHARE = 0.33
TODAY = dt.date(2026, 11, 1)  # fixed, so that the files do not change with the calendar

# The 56 UPR Info issues with their frequency in the real 2018 export (tags per 61k rows).
THEMES: dict[str, int] = {
    "International instruments": 12714,
    "Women's rights": 10718,
    "Rights of the Child": 10112,
    "Torture and other CID treatment": 4529,
    "Justice": 4336,
    "Detention": 3625,
    "Right to education": 2937,
    "Labour": 2842,
    "Migrants": 2680,
    "Minorities": 2621,
    "Death penalty": 2539,
    "Racial discrimination": 2436,
    "Human rights education and training": 2211,
    "Disabilities": 2177,
    "National Human Rights Institution": 2142,
    "Trafficking": 2024,
    "Special procedures": 1917,
    "ESC rights - general": 1845,
    "Right to health": 1817,
    "Freedom of opinion and expression": 1683,
    "Treaty bodies": 1541,
    "Sexual Orientation and Gender Identity": 1460,
    "Technical assistance and cooperation": 1374,
    "Freedom of religion and belief": 1358,
    "Freedom of the press": 1301,
    "Enforced disappearances": 1250,
    "Poverty": 1121,
    "Civil society": 1082,
    "Development": 1076,
    "General": 1071,
    "Freedom of association and peaceful assembly": 1053,
    "Asylum-seekers - refugees": 1047,
    "Indigenous peoples": 999,
    "CP rights - general": 946,
    "Human rights violations by state agents": 848,
    "UPR process": 847,
    "Human rights defenders": 837,
    "International humanitarian law": 713,
    "Statelessness and the right to nationality": 605,
    "Impunity": 478,
    "Public security": 381,
    "Right to food": 357,
    "Elections": 343,
    "HIV - Aids": 337,
    "Extrajudicial executions": 314,
    "Right to housing": 311,
    "Corruption": 307,
    "Environment": 280,
    "Right to water and sanitation": 274,
    "Internally displaced persons": 237,
    "Right to land": 232,
    "Counter-terrorism": 207,
    "Freedom of movement": 118,
    "Business and human rights": 104,
    "Privacy": 69,
    "Other": 1259,
}

# What is asked, per theme family: (verb phrase, object) pairs combined with openings and
# qualifiers below. Enough variety that texts of one review rarely coincide.
ASKS: dict[str, list[str]] = {
    "International instruments": [
        "ratify the Optional Protocol to the Convention against Torture",
        "ratify the International Convention for the Protection of All Persons from "
        "Enforced Disappearance",
        "accede to the Second Optional Protocol to the International Covenant on Civil and "
        "Political Rights, aiming at the abolition of the death penalty",
        "ratify the Convention on the Rights of Persons with Disabilities and its Optional "
        "Protocol",
        "ratify the International Convention on the Protection of the Rights of All Migrant "
        "Workers and Members of Their Families",
        "become a party to the Rome Statute of the International Criminal Court",
        "ratify the Optional Protocol to the International Covenant on Economic, Social and "
        "Cultural Rights",
        "ratify ILO Convention No. 189 concerning decent work for domestic workers",
        "withdraw its reservations to the Convention on the Elimination of All Forms of "
        "Discrimination against Women",
        "ratify the 1954 Convention relating to the Status of Stateless Persons",
    ],
    "Women's rights": [
        "adopt a comprehensive law on violence against women, including domestic violence",
        "criminalize marital rape",
        "increase the representation of women in decision-making positions",
        "eliminate discriminatory provisions against women in the Family Code",
        "ensure access to shelters for women victims of violence throughout the country",
        "close the gender pay gap",
        "prohibit child, early and forced marriage and raise the minimum age of marriage to 18",
        "combat female genital mutilation",
    ],
    "Rights of the Child": [
        "prohibit corporal punishment of children in all settings",
        "establish a juvenile justice system in line with international standards",
        "ensure free birth registration for all children",
        "eradicate child labour, in particular its worst forms",
        "protect children from sexual exploitation and abuse",
        "adopt a national action plan for children",
    ],
    "Torture and other CID treatment": [
        "establish an independent national preventive mechanism",
        "investigate all allegations of torture and ill-treatment and bring perpetrators to "
        "justice",
        "bring the definition of torture in the Criminal Code into line with the Convention "
        "against Torture",
        "ensure that evidence obtained under torture is not admissible in court",
    ],
    "Justice": [
        "guarantee the independence of the judiciary",
        "ensure the right to a fair trial and access to a lawyer from the moment of arrest",
        "reform the system of appointment of judges",
        "provide free legal aid to persons in vulnerable situations",
    ],
    "Detention": [
        "improve conditions of detention and reduce overcrowding in prisons",
        "ensure that pre-trial detention is used only as a measure of last resort",
        "allow independent monitoring of all places of detention",
    ],
    "Death penalty": [
        "establish a moratorium on executions with a view to abolishing the death penalty",
        "commute all death sentences to terms of imprisonment",
        "abolish the death penalty for all crimes",
    ],
    "Freedom of opinion and expression": [
        "decriminalize defamation and place it in the Civil Code",
        "guarantee freedom of expression online and offline",
        "repeal provisions that restrict the work of journalists",
        "protect journalists and media workers from harassment and attacks",
    ],
    "National Human Rights Institution": [
        "establish a national human rights institution in full compliance with the Paris "
        "Principles",
        "provide the Ombudsman with adequate financial and human resources",
        "seek accreditation of the national human rights institution with A status",
    ],
    "Trafficking": [
        "strengthen measures to combat trafficking in persons, especially women and children",
        "adopt a national action plan against human trafficking",
        "provide protection and rehabilitation to victims of trafficking",
    ],
    "Human rights defenders": [
        "create a safe and enabling environment for human rights defenders",
        "release all human rights defenders detained for their peaceful activities",
        "adopt a law on the protection of human rights defenders",
    ],
    "Racial discrimination": [
        "adopt comprehensive anti-discrimination legislation",
        "combat hate speech and racial profiling by law enforcement officials",
        "collect disaggregated data on discrimination",
    ],
    "Sexual Orientation and Gender Identity": [
        "decriminalize consensual same-sex relations between adults",
        "prohibit discrimination on the grounds of sexual orientation and gender identity",
        "protect lesbian, gay, bisexual, transgender and intersex persons from violence",
    ],
    "Migrants": [
        "protect the rights of migrant workers, including domestic workers",
        "abolish the kafala sponsorship system",
        "ensure that migrants in an irregular situation have access to basic services",
    ],
    "Right to education": [
        "guarantee free and compulsory primary education for all children",
        "increase the budget allocated to education",
        "ensure access to inclusive education for children with disabilities",
        "include human rights education in school curricula",
    ],
    "Right to health": [
        "improve access to health care in rural areas",
        "reduce maternal and infant mortality",
        "ensure access to sexual and reproductive health services",
    ],
    "Special procedures": [
        "extend a standing invitation to all special procedures mandate holders",
        "accept the pending visit requests of the Special Rapporteurs",
    ],
    "Freedom of religion and belief": [
        "guarantee freedom of religion or belief for all",
        "simplify the registration of religious communities",
    ],
    "Freedom of association and peaceful assembly": [
        "guarantee the right to peaceful assembly and revise the law on public gatherings",
        "simplify the registration of non-governmental organizations",
    ],
    "Poverty": [
        "continue its efforts to reduce poverty and inequality",
        "strengthen the social protection system",
    ],
    "Disabilities": [
        "adopt a national strategy for persons with disabilities",
        "ensure reasonable accommodation in employment for persons with disabilities",
    ],
    "Indigenous peoples": [
        "recognize the land rights of indigenous peoples",
        "guarantee free, prior and informed consent of indigenous peoples",
    ],
    "Asylum-seekers - refugees": [
        "respect the principle of non-refoulement",
        "adopt a national asylum law in line with international standards",
    ],
    "Enforced disappearances": [
        "investigate all cases of enforced disappearance and inform the families",
        "criminalize enforced disappearance as a separate offence",
    ],
    "Corruption": ["strengthen the fight against corruption at all levels"],
    "Environment": ["integrate a human rights approach into its climate change policies"],
    "Right to water and sanitation": ["ensure access to safe drinking water and sanitation"],
    "Elections": ["ensure free, fair and transparent elections"],
    "Labour": [
        "guarantee the right to form and join trade unions",
        "raise the minimum wage and enforce labour inspections",
    ],
}
GENERIC_ASKS = [
    "implement the recommendations of the treaty bodies",
    "submit its overdue reports to the treaty bodies",
    "continue cooperation with the Office of the High Commissioner for Human Rights",
    "adopt a national human rights action plan",
    "strengthen human rights training for police, prosecutors and judges",
    "allocate sufficient resources to the implementation of its human rights obligations",
    "involve civil society in the follow-up to the universal periodic review",
    "establish a national mechanism for reporting and follow-up",
]
OPENINGS = [
    ("", 6),
    ("Continue to ", 3),
    ("Take all necessary measures to ", 2),
    ("Consider ", 1),
    ("Intensify its efforts to ", 1),
    ("Step up efforts to ", 1),
    ("Take effective measures to ", 1),
    ("Strengthen measures to ", 1),
    ("Redouble efforts to ", 1),
]
QUALIFIERS = [
    "",
    "",
    "",
    ", in line with its international obligations",
    ", with the participation of civil society",
    ", and allocate adequate human and financial resources to that end",
    ", in particular in rural and remote areas",
    ", and ensure that those responsible are held accountable",
    ", as recommended by the treaty bodies",
    ", in consultation with the national human rights institution",
    ", including through awareness-raising campaigns",
    ", and ensure its effective implementation",
    " by {year}",
    ", with the technical assistance of OHCHR",
]
SECOND_SENTENCES = [
    "",
    "",
    "",
    "",
    " Ensure that the legislation is applied in practice and monitored.",
    " Collect and publish disaggregated data to measure progress.",
    " Provide training to the officials concerned.",
    " Report on progress in its next national report.",
    " Review the relevant legislation to bring it into line with international standards.",
    " Guarantee access to effective remedies for victims.",
]
SOURCES = [
    "Government (mid-term report)",
    "National human rights institution",
    "UPR Info mid-term assessment",
    "OHCHR compilation",
    "Coalition of NGOs",
]
EVIDENCE: dict[str, list[str]] = {
    "fully_implemented": [
        "Implementation completed: the amendment was adopted and published in the official "
        "gazette on {date}.",
        "The law entered into force on {date} and is applied by the courts.",
        "The committee concerned welcomed the adoption of the measure in its concluding "
        "observations of {date}.",
    ],
    "partially_implemented": [
        "A national action plan was adopted; its budget covers only part of the measures.",
        "The ministry reported training sessions for {n} officials; no evaluation was published.",
        "Civil society reports that the measure is applied in the capital only.",
        "The law entered into force; implementing regulations are pending.",
        "Shelters opened in {n} regions; NGOs report that access remains limited in rural areas.",
    ],
    "not_implemented": [
        "The draft law was submitted to parliament on {date} but has not been adopted.",
        "No change reported since the last review.",
        "The government accepted the recommendation but reported no step taken.",
        "The bill was withdrawn on {date}; the practice continues.",
    ],
    "no_information": [
        "Neither the government nor civil society reported on this recommendation.",
        "The mid-term report does not mention it.",
    ],
}
STATUSES = ("fully_implemented", "partially_implemented", "not_implemented", "no_information")
RANK = {"fully_implemented": 3, "partially_implemented": 2, "not_implemented": 1}
RESPONSE_SUPPORTED = 0.78  # the rest noted (a few "mixed" / "pending" in the real data)


@dataclass
class _Rec:
    iso3: str
    name: str
    cycle: int
    session: int
    review_date: dt.date
    symbol: str
    paragraph: str
    text: str
    recommending: list[str]
    response: str
    action: int
    themes: list[str]


def _weighted(rng: random.Random, items: list[str], cum: Sequence[float]) -> str:
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


def session_date(session: int) -> dt.date:
    """An approximate first day of a Working Group session (three a year since April 2008)."""
    months = (session - 1) * 4
    return dt.date(FIRST_SESSION.year + (FIRST_SESSION.month - 1 + months) // 12,
                   (FIRST_SESSION.month - 1 + months) % 12 + 1, 7)  # fmt: skip


def _gerund(verb: str) -> str:
    """ "ratify" -> "ratifying", "ensure" -> "ensuring", "submit" -> "submitting"."""
    if verb in ("submit", "commit", "permit"):
        return verb + "ting"
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    return verb + "ing"


def _text(rng: random.Random, theme: str, seen: set[str], iso3: str) -> str:
    asks = ASKS.get(theme, GENERIC_ASKS)
    for attempt in range(20):
        opening = rng.choices([o for o, _w in OPENINGS], [w for _o, w in OPENINGS])[0]
        ask = rng.choice(asks if rng.random() < 0.85 else GENERIC_ASKS)
        if opening == "Consider ":
            verb, rest = ask.split(" ", 1)
            ask = f"{_gerund(verb)} {rest}"
        qualifier = rng.choice(QUALIFIERS).format(year=rng.randrange(2012, 2031))
        second = rng.choice(SECOND_SENTENCES)
        if attempt >= 10:  # a rare collision within one review: add a distinguishing detail
            second += f" Report on it by {2010 + attempt + rng.randrange(20)}."
        body = (opening + ask) if opening else ask
        text = body[0].upper() + body[1:] + qualifier + "." + second
        key = normalise_text(text)
        if key not in seen:
            seen.add(key)
            return text
    raise RuntimeError(f"could not make a unique recommendation text for {iso3}")


def held_cycles(cycles: int) -> tuple[int, ...]:
    """The cycles a corpus of ``cycles`` cycles covers: 1-4 always (the default corpus),
    then 5, 6, ... as far as their reviews were held by ``TODAY``."""
    return tuple(range(1, max(cycles, len(CYCLES)) + 1))


def _held(session: int, k: int) -> bool:
    """Whether state ``k``'s review in ``session`` was held (and could be assessed) by
    ``TODAY``: the reviews of a cycle still running stop at the fixed present."""
    return session_date(session) + dt.timedelta(days=k % 9 + 60) <= TODAY


def generate(n: int, seed: int, cycles: int = len(CYCLES)) -> list[_Rec]:
    """The recommendations: ``n`` of them (give or take a few), over 195 states x 4 cycles
    (or ``cycles``: a fifth cycle holds the reviews held by ``TODAY``)."""
    rng = random.Random(seed)
    states = sorted(reference_states().values(), key=lambda s: s.iso3)
    # Recommending-state activity: a few very active states (Zipf-like), shuffled per seed.
    activity = [1.0 / (rank + 3) ** 1.1 for rank in range(len(states))]
    order = list(range(len(states)))
    rng.shuffle(order)
    rs_names = [states[i].name for i in order]
    rs_cum = list(itertools.accumulate(activity))
    theme_names = list(THEMES)
    theme_cum = list(itertools.accumulate(THEMES.values()))
    size = [rng.uniform(0.5, 1.6) for _s in states]  # some states receive far more
    if cycles <= len(CYCLES):
        scale = n / sum(size)  # the default corpus (its output must not change)
    else:
        # Each state's weight is the sum of the cycles it was reviewed in by TODAY.
        held = [
            sum(
                CYCLE_WEIGHTS.get(c, LATER_CYCLE_WEIGHT)
                for c in held_cycles(cycles)
                if _held(sessions_of_cycle(c)[k % len(sessions_of_cycle(c))], k)
            )
            for k in range(len(states))
        ]
        scale = n / sum(s * h for s, h in zip(size, held, strict=True))
    recs: list[_Rec] = []
    for k, st in enumerate(states):
        for cycle in held_cycles(cycles):
            sessions = list(sessions_of_cycle(cycle))
            session = sessions[k % len(sessions)]
            if cycle > len(CYCLES) and not _held(session, k):
                continue
            day = session_date(session) + dt.timedelta(days=k % 9)
            symbol = f"A/HRC/{7 + session}/{10 + k % 90}"  # the Working Group report
            count = round(size[k] * scale * CYCLE_WEIGHTS.get(cycle, LATER_CYCLE_WEIGHT))
            seen: set[str] = set()
            section = 90 + (session % 30)
            for i in range(count):
                theme = _weighted(rng, theme_names, theme_cum)
                themes = [theme]
                while rng.random() < 0.35 and len(themes) < 4:
                    t = _weighted(rng, theme_names, theme_cum)
                    if t not in themes:
                        themes.append(t)
                n_rs = 1 if rng.random() < 0.84 else rng.choice((2, 2, 3))
                rs: list[str] = []
                while len(rs) < n_rs:
                    name = _weighted(rng, rs_names, rs_cum)
                    if name != st.name and name not in rs:
                        rs.append(name)
                supported = rng.random() < RESPONSE_SUPPORTED - 0.05 * (theme == "Death penalty")
                recs.append(
                    _Rec(
                        iso3=st.iso3,
                        name=st.name,
                        cycle=cycle,
                        session=session,
                        review_date=day,
                        symbol=symbol,
                        paragraph=f"{section}.{i + 1}" if supported else f"{section + 1}.{i + 1}",
                        text=_text(rng, theme, seen, st.iso3),
                        recommending=rs,
                        response="supported" if supported else "noted",
                        action=rng.choices((1, 2, 3, 4, 5), (2, 6, 12, 30, 50))[0],
                        themes=themes,
                    )
                )
    return recs


def _assessments(
    rng: random.Random, rec: _Rec, rounds: int
) -> list[tuple[str, dt.date, str, str, str]]:
    """``rounds`` dated assessments (status, date, source, evidence, url), oldest first."""
    start = rec.review_date + dt.timedelta(days=60)
    end = min(rec.review_date + dt.timedelta(days=5 * 365), TODAY)
    span = max((end - start).days, rounds)
    days = sorted(rng.sample(range(span), rounds))
    status = rng.choices(STATUSES, (4, 30, 46, 20))[0]
    out = []
    for r, offset in enumerate(days):
        day = min(start + dt.timedelta(days=offset), TODAY)
        if r:
            roll = rng.random()
            if status == "no_information":
                status = rng.choice(("not_implemented", "partially_implemented", "no_information"))
            elif roll < 0.30 and status != "fully_implemented":
                status = (
                    "partially_implemented"
                    if status == "not_implemented"
                    else ("fully_implemented")
                )
            elif roll < 0.37:  # a regression, or a source that sees it differently
                status = rng.choice(("not_implemented", "partially_implemented"))
            elif roll < 0.40:
                status = "no_information"
        source = SOURCES[(r + rng.randrange(len(SOURCES))) % len(SOURCES)]
        evidence = ""
        if status != "no_information" or rng.random() < 0.3:
            evidence = rng.choice(EVIDENCE[status]).format(
                date=day.isoformat(), n=rng.randrange(3, 400)
            )
        url = (
            f"https://upr-evidence.example.org/{rec.iso3.lower()}/c{rec.cycle}/{day.isoformat()}"
            if rng.random() < 0.5
            else ""
        )
        out.append((status, day, source, evidence, url))
    return out


def write_corpus(
    out: Path,
    n: int = DEFAULT_RECOMMENDATIONS,
    seed: int = DEFAULT_SEED,
    cycles: int = len(CYCLES),
) -> dict:
    """Write the round files into ``out`` (created); return a summary (also ``corpus.json``).
    Files already there from the same version, size, seed and cycles are reused."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "corpus.json"
    wanted: dict[str, int] = {
        "generator": GENERATOR_VERSION,
        "recommendations_asked": n,
        "seed": seed,
    }
    if cycles > len(CYCLES):  # the default corpus' stamp stays as it was
        wanted["cycles"] = cycles
    if stamp.is_file():
        summary = json.loads(stamp.read_text())
        if {k: summary.get(k) for k in (*wanted, "cycles")} == {"cycles": None, **wanted} and all(
            (out / f).is_file() for f in summary["files"]
        ):
            return summary
    start = time.perf_counter()
    recs = generate(n, seed, cycles)
    rng = random.Random(seed + 1)
    extra = {i for i in range(len(recs)) if rng.random() < FOURTH_ROUND_SHARE}
    histories = [_assessments(rng, rec, ROUNDS + (i in extra)) for i, rec in enumerate(recs)]
    files = []
    n_assessments = 0
    for r in range(ROUNDS + 1):
        name = f"round{r + 1}.csv"
        with (out / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(TEMPLATE_COLUMNS)
            for rec, history in zip(recs, histories, strict=True):
                if r >= len(history):
                    continue
                status, day, source, evidence, url = history[r]
                n_assessments += 1
                w.writerow(
                    [
                        "",
                        rec.name,
                        rec.iso3,
                        rec.cycle,
                        rec.session,
                        rec.review_date.isoformat(),
                        rec.symbol,
                        rec.paragraph,
                        rec.text,
                        "; ".join(rec.recommending),
                        rec.response,
                        rec.action,
                        "; ".join(rec.themes),
                        "",
                        "",
                        status,
                        day.isoformat(),
                        source,
                        evidence,
                        url,
                        "",  # sample
                        "",  # source_type: the importer's default
                        "",  # confidence: the importer's default
                    ]
                )
        files.append(name)
    summary = {
        **wanted,
        "recommendations": len(recs),
        "assessments": n_assessments,
        "states_under_review": len({r.iso3 for r in recs}),
        "reviews": len({(r.iso3, r.cycle) for r in recs}),
        "recommendation_state_pairs": sum(len(r.recommending) for r in recs),
        "files": files,
        "bytes": sum((out / f).stat().st_size for f in files),
        "generate_seconds": round(time.perf_counter() - start, 2),
    }
    stamp.write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the CSV files")
    parser.add_argument("--recommendations", type=int, default=DEFAULT_RECOMMENDATIONS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--cycles", type=int, default=len(CYCLES), help="5: add the fifth cycle's reviews held"
    )
    args = parser.parse_args(argv)
    summary = write_corpus(args.out, args.recommendations, args.seed, args.cycles)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
