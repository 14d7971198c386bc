"""Monthly cost of what workloads ask for, and the saving of limits and of right-sizing.

A price table bills either per unit (`per_hour: {vcpu, gib}`) or, Fargate-style, per size: a
workload pays for the smallest listed size that holds both its CPUs and its memory. The
default table reproduces the article's example (section "Cost Impact of Resource
Management"): 2 vCPU / 4 GB at $0.12 an hour without limits, 0.5 vCPU / 512 MB at $0.03 with
them, i.e. about $65 a month saved per container over 730 hours. Its other sizes follow the
same $0.06 per vCPU-hour; they illustrate, they are not a quote: pass `--prices` with your
provider's figures.

The baseline ("without limits") is the article's 2 vCPU / 4 GB; right-sizing uses observed
usage (memory peak and CPU p95 plus headroom) where a capture is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hardbake.errors import InputError
from hardbake.runtime.observed import Observed
from hardbake.runtime.profile import Cpus, Size
from hardbake.runtime.units import GiB, MiB, cpus_text, docker_size
from hardbake.runtime.workloads import Workload


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PriceSize(_Model):
    vcpu: Cpus
    memory: Size
    hourly: float = Field(ge=0)

    @property
    def label(self) -> str:
        return f"{cpus_text(self.vcpu)} vCPU / {docker_size(self.memory)}"


class UnitPrices(_Model):
    vcpu: float = Field(ge=0)  # per vCPU-hour
    gib: float = Field(ge=0)  # per GiB-hour


class Baseline(_Model):
    vcpu: Cpus
    memory: Size


class PriceTable(_Model):
    name: str = "custom"
    currency: str = "USD"
    hours_per_month: float = Field(default=730.0, gt=0)
    per_hour: UnitPrices | None = None
    sizes: tuple[PriceSize, ...] = ()
    baseline: Baseline | None = None

    @model_validator(mode="after")
    def _some_price(self) -> PriceTable:
        if self.per_hour is None and not self.sizes:
            raise ValueError("a price table needs per_hour rates or a list of sizes")
        return self

    def hourly(self, cpus: float, memory: int) -> tuple[float, str]:
        """Hourly price for (cpus, memory) and how it was reached."""
        fits = [s for s in self.sizes if s.vcpu >= cpus - 1e-9 and s.memory >= memory]
        if fits:
            best = min(fits, key=lambda s: (s.hourly, s.vcpu, s.memory))
            return best.hourly, f"size {best.label}"
        if self.per_hour is not None:
            price = cpus * self.per_hour.vcpu + memory / GiB * self.per_hour.gib
            return price, "per unit"
        largest = max(self.sizes, key=lambda s: (s.vcpu, s.memory))
        raise InputError(
            f"no size in the price table holds {cpus_text(cpus)} vCPU / {docker_size(memory)} "
            f"(largest: {largest.label})",
            hint="add a larger size or per_hour rates to the --prices file",
        )


DEFAULT_PRICES = PriceTable.model_validate(
    {
        "name": "article (Fargate-style illustration: $0.06 per vCPU-hour of a size)",
        "currency": "USD",
        "hours_per_month": 730,
        "sizes": [
            {"vcpu": 0.25, "memory": "256m", "hourly": 0.015},
            {"vcpu": 0.5, "memory": "512m", "hourly": 0.03},
            {"vcpu": 1, "memory": "2g", "hourly": 0.06},
            {"vcpu": 2, "memory": "4g", "hourly": 0.12},
            {"vcpu": 4, "memory": "8g", "hourly": 0.24},
            {"vcpu": 8, "memory": "16g", "hourly": 0.48},
            {"vcpu": 16, "memory": "32g", "hourly": 0.96},
        ],
        "baseline": {"vcpu": 2, "memory": "4g"},
    }
)


def load_prices(path: Path) -> PriceTable:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(f"cannot read price table {path}: {e}") from e
    if not isinstance(data, dict):
        raise InputError(f"{path}: a price table is a mapping (per_hour: ..., sizes: [...])")
    try:
        return PriceTable.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(table)'}: "
            + (
                "unknown key"
                if err["type"] == "extra_forbidden"
                else str(err["msg"]).removeprefix("Value error, ")
            )
            for err in e.errors()
        )
        raise InputError(f"{path}: invalid price table: {problems}") from e


@dataclass(frozen=True)
class CostLine:
    workload: str
    source: str
    replicas: int
    cpus: float
    memory: int
    hourly: float
    monthly: float
    priced_as: str
    baseline_monthly: float | None = None
    observed_cpu_p95: float | None = None
    observed_peak_memory: int | None = None
    recommended_cpus: float | None = None
    recommended_memory: int | None = None
    recommended_monthly: float | None = None
    note: str = ""


@dataclass(frozen=True)
class CostReport:
    currency: str
    prices: str
    basis: str
    hours_per_month: float
    lines: tuple[CostLine, ...]

    @property
    def total_monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def total_baseline(self) -> float | None:
        values = [line.baseline_monthly for line in self.lines]
        return None if any(v is None for v in values) else sum(v or 0.0 for v in values)

    @property
    def total_recommended(self) -> float | None:
        if not any(line.recommended_monthly is not None for line in self.lines):
            return None
        return sum(
            line.recommended_monthly if line.recommended_monthly is not None else line.monthly
            for line in self.lines
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in asdict(self).items() if k != "lines"}
        out["lines"] = [asdict(line) for line in self.lines]
        out["total_monthly"] = round(self.total_monthly, 2)
        baseline, recommended = self.total_baseline, self.total_recommended
        if baseline is not None:
            out["total_baseline_monthly"] = round(baseline, 2)
            out["saving_from_limits_monthly"] = round(baseline - self.total_monthly, 2)
        if recommended is not None:
            out["total_recommended_monthly"] = round(recommended, 2)
            out["saving_from_right_sizing_monthly"] = round(self.total_monthly - recommended, 2)
        return out


def _round_up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def recommend(obs: Observed, cpus: float, memory: int, headroom: float) -> tuple[float, int, str]:
    """Right-sized (cpus, memory) from observed usage plus `headroom` (0.2 = 20%), never below need."""
    notes = []
    rec_mem = max(32 * MiB, int(_round_up(obs.peak_memory * (1 + headroom), 16 * MiB)))
    if obs.memory_capped:
        rec_mem = max(rec_mem, memory)
        notes.append("memory peak reached the limit (or an OOM kill): not sized down")
    rec_cpu = max(0.05, round(_round_up(obs.cpu_p95 * (1 + headroom), 0.05), 2))
    if obs.cpu_capped:
        rec_cpu = max(rec_cpu, cpus)
        notes.append("CPU at its limit (throttled): not sized down, it may need more")
    return rec_cpu, rec_mem, "; ".join(notes)


def _match(w: Workload, observed: Mapping[str, Observed]) -> list[Observed]:
    wanted = set(w.match) | {w.name}
    return [o for o in observed.values() if o.names() & wanted]


def estimate(
    workloads: list[Workload],
    prices: PriceTable = DEFAULT_PRICES,
    *,
    basis: str = "limits",
    observed: Mapping[str, Observed] | None = None,
    headroom: float = 0.2,
) -> CostReport:
    lines: list[CostLine] = []
    hours = prices.hours_per_month
    base_hourly = prices.hourly(prices.baseline.vcpu, prices.baseline.memory)[0] if prices.baseline else None
    for w in workloads:
        cpus, memory = w.basis(basis)
        notes = [w.note] if w.note else []
        if cpus is None or memory is None:
            if prices.baseline is None:
                raise InputError(
                    f"{w.source}: {w.name} sets no CPU or memory and the price table has no baseline"
                )
            cpus = cpus or prices.baseline.vcpu
            memory = memory or prices.baseline.memory
            notes.append("no limit set: priced as the baseline (the article's 'without limits')")
        groups: list[tuple[str, Observed | None]] = [(w.name, None)]
        if observed is not None:
            found = _match(w, observed)
            if w.source.startswith("profile ") and not found:
                found = list(observed.values())  # a profile: every observed container runs under it
            if w.source.startswith("profile ") and found:
                groups = [(o.name, o) for o in found]
            elif found:
                merged = Observed(w.name, samples=sum(o.samples for o in found))
                merged.peak_memory = max(o.peak_memory for o in found)
                merged.memory_limit = max(o.memory_limit for o in found)
                merged.cpu_cores = [c for o in found for c in o.cpu_cores]
                merged.cpu_limit = found[0].cpu_limit
                merged.oom_kills = sum(o.oom_kills for o in found)
                groups = [(w.name, merged)]
            else:
                notes.append("no observed usage matched this workload")
        hourly, how = prices.hourly(cpus, memory)
        replicas = w.replicas if len(groups) == 1 else 1
        for label, obs in groups:
            rec_cpu = rec_mem = rec_monthly = None
            line_notes = list(notes)
            if obs is not None and obs.samples:
                rec_cpu, rec_mem, why = recommend(obs, cpus, memory, headroom)
                rec_monthly = prices.hourly(rec_cpu, rec_mem)[0] * hours * replicas
                if why:
                    line_notes.append(why)
            lines.append(
                CostLine(
                    workload=label,
                    source=w.source,
                    replicas=replicas,
                    cpus=cpus,
                    memory=memory,
                    hourly=hourly,
                    monthly=hourly * hours * replicas,
                    priced_as=how,
                    baseline_monthly=base_hourly * hours * replicas if base_hourly is not None else None,
                    observed_cpu_p95=obs.cpu_p95 if obs is not None and obs.samples else None,
                    observed_peak_memory=obs.peak_memory if obs is not None and obs.samples else None,
                    recommended_cpus=rec_cpu,
                    recommended_memory=rec_mem,
                    recommended_monthly=rec_monthly,
                    note="; ".join(line_notes),
                )
            )
    return CostReport(prices.currency, prices.name, basis, hours, tuple(lines))
