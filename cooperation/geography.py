"""The UN M49 hierarchy arranged for the countries pages: regions, their sub-regions (and
intermediate regions), and the countries in each, with the figures of each place.

The hierarchy is reference data (thirty groupings, about 250 countries) read in two queries;
the figures come from :func:`cooperation.figures.place_counts`, one grouped statement per
kind of record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cooperation.figures import PlaceCounts
from cooperation.models import Country, Region

METRICS = ("partners", "agreements", "operations")


@dataclass
class Place:
    """A grouping or a country, with its figures (``{"partners": 3, ...}``)."""

    code: str
    name: str
    url: str
    figures: dict[str, int]
    level: str = "country"  # or a Region.Level
    depth: int = 0  # 0 for a sub-region in its region's table, 1 below it, ...
    children: list[Place] = field(default_factory=list)
    countries: list[Place] = field(default_factory=list)

    @property
    def is_country(self) -> bool:
        return self.level == "country"

    @property
    def query(self) -> str:
        """The list filter that selects the place: ``country=COL`` or ``region=005``."""
        return f"country={self.code}" if self.is_country else f"region={self.code}"

    @property
    def active(self) -> bool:
        """Anything recorded that the viewer may see."""
        return any(self.figures.values())

    def rows(self, depth: int = 0):
        """This place and everything under it, for a table: groupings first, then countries
        with figures; each with its ``depth``."""
        self.depth = depth
        yield self
        for child in self.children:
            yield from child.rows(depth + 1)
        for country in self.countries:
            if country.active:
                country.depth = depth + 1
                yield country

    def descendants(self) -> list[Place]:
        """The rows of this place's own table: everything under it, its direct groupings and
        countries at depth 0."""
        return list(self.rows(-1))[1:]

    def quiet_countries(self) -> list[Place]:
        """Countries anywhere under this place with nothing the viewer may see."""
        found = [country for country in self.countries if not country.active]
        for child in self.children:
            found.extend(child.quiet_countries())
        return sorted(found, key=lambda place: place.name)

    def all_countries(self) -> list[Place]:
        found = list(self.countries)
        for child in self.children:
            found.extend(child.all_countries())
        return sorted(found, key=lambda place: place.name)


def hierarchy(counts: dict[str, PlaceCounts]) -> list[Place]:
    """The five M49 regions, each with its sub-regions, intermediate regions and countries
    (a country sits under its most specific grouping), with ``counts`` (metric ->
    :class:`PlaceCounts`) for every place. Countries outside any region (Antarctica) come
    last, under a grouping of their own."""

    def figures(code: str, is_country: bool) -> dict[str, int]:
        return {
            metric: (place.countries if is_country else place.regions).get(code, 0)
            for metric, place in counts.items()
        }

    regions = list(Region.objects.order_by("name"))
    places = {
        region.m49: Place(
            region.m49,
            region.name,
            region.get_absolute_url(),
            figures(region.m49, False),
            level=region.level,
        )
        for region in regions
    }
    parents = {region.m49: region.parent_id for region in regions}
    for code, parent in parents.items():
        if parent:
            places[parent].children.append(places[code])
    outside = Place("", "Outside the M49 regions", "", {}, level=Region.Level.REGION)
    for country in Country.objects.order_by("name"):
        home = country.intermediate_region_id or country.subregion_id or country.region_id
        place = Place(
            country.iso3, country.name, country.get_absolute_url(), figures(country.iso3, True)
        )
        (places[home] if home else outside).countries.append(place)
    top = [place for code, place in places.items() if not parents[code]]
    if outside.countries:
        # Antarctica alone: its figures are its own (a sum would count a record in two such
        # countries twice, were there ever two).
        outside.figures = {
            metric: sum(c.figures[metric] for c in outside.countries) for metric in counts
        }
        top.append(outside)
    return top


def highest(places, metric: str) -> int:
    return max((place.figures.get(metric, 0) for place in places), default=0)
