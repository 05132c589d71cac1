#!/usr/bin/env python3
"""gen_addresses.py — synthetic addresses in the national BAN format.

Writes N addresses (default 2,000,000) to OUT as the BAN publishes them
(adresses-XX.csv: ';' separator, header, no quotes; gzip if OUT ends with
.gz), for the geocoder benchmark (bench/geocode_bench.c). Nothing here is
real data: communes, streets and positions are drawn at random, with shapes
close to the BAN's:
  - communes of very unequal size (a Pareto law: many villages of a few
    dozen addresses, a few towns of tens of thousands), named from French
    roots and patterns ("Saint-Martin-sur-Vienne", "Les Granges"), in
    metropolitan départements, with INSEE codes and postcodes;
  - about 15 numbers per street on average (an exponential law), street
    types in the BAN's proportions (rue, chemin, impasse, avenue, allée,
    route…) and names from the usual stock (people, "de la République",
    trees, birds, dates, "de <neighbouring commune>", saints);
  - numbers mostly consecutive, odd on one side and even on the other, with
    7 % "bis", 1 % "ter" and a few letters; positions along a straight street
    in WGS84, and Lambert-93 x, y computed from them.
Deterministic for a given --seed.

Usage: python3 bench/gen_addresses.py OUT [-n N] [--seed S]
"""
import argparse
import gzip
import math
import random
import sys
import unicodedata

HEADER = ("id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
          "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;"
          "alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;"
          "certification_commune;cad_parcelles")

# Street types and their weight (roughly the BAN's proportions).
TYPES = [("Rue", 42), ("Chemin", 11), ("Impasse", 9), ("Avenue", 7), ("Allée", 7),
         ("Route", 7), ("Place", 3), ("Boulevard", 2), ("Lotissement", 2), ("Résidence", 2),
         ("Hameau", 1.5), ("Square", 1), ("Passage", 1), ("Quai", 0.6), ("Cours", 0.6),
         ("Sentier", 0.6), ("Villa", 0.5), ("Cité", 0.5), ("Ruelle", 0.5), ("Faubourg", 0.4),
         ("Montée", 0.3), ("Promenade", 0.3), ("Rond-Point", 0.2), ("Esplanade", 0.2)]

PEOPLE = ["Jean Jaurès", "Victor Hugo", "Pasteur", "Gambetta", "Jean Moulin", "Émile Zola",
          "Jules Ferry", "Anatole France", "Léon Blum", "Aristide Briand", "Georges Clemenceau",
          "Paul Bert", "Marcel Pagnol", "Albert Camus", "Pierre Loti", "Jean Monnet",
          "Gustave Eiffel", "Marie Curie", "Simone Veil", "Jean Zay", "Lazare Carnot",
          "Jean-Baptiste Clément", "Pierre et Marie Curie", "Salvador Allende", "Nelson Mandela",
          "Martin Luther King", "Louis Aragon", "Paul Éluard", "Jacques Prévert", "Voltaire",
          "Jean-Jacques Rousseau", "Molière", "Racine", "Alfred de Musset", "George Sand",
          "Honoré de Balzac", "Gustave Flaubert", "Guy de Maupassant", "Alphonse Daudet",
          "Frédéric Mistral", "Henri Barbusse", "Roger Salengro", "Édouard Vaillant",
          "Louis Blanc", "Auguste Blanqui", "Camille Desmoulins", "Danton", "Condorcet",
          "Lamartine", "Chateaubriand", "Montesquieu", "Denis Diderot", "Blaise Pascal",
          "René Descartes", "Antoine de Saint-Exupéry", "Jules Verne", "Arthur Rimbaud",
          "Paul Verlaine", "Charles Baudelaire", "Émile Combes", "Ernest Renan", "Pierre Brossolette",
          "Gabriel Péri", "Danielle Casanova", "Lucie Aubrac", "Guy Môquet", "Missak Manouchian",
          "Olympe de Gouges", "Louise Michel", "Jeanne d'Arc", "Clément Ader", "Louis Blériot",
          "Roland Garros", "Jean Mermoz", "Hélène Boucher", "Frédéric Chopin", "Claude Debussy",
          "Maurice Ravel", "Hector Berlioz", "Georges Brassens", "Édith Piaf", "Jacques Brel",
          "Auguste Renoir", "Claude Monet", "Paul Cézanne", "Henri Matisse", "Eugène Delacroix",
          "Auguste Rodin", "Camille Claudel", "Ambroise Croizat", "Pierre Mendès France",
          "François Mitterrand", "Charles de Gaulle", "Robert Schuman", "Jean Rostand",
          "Irène Joliot-Curie", "Frédéric Joliot-Curie", "Paul Langevin", "Henri Poincaré",
          "Louis Lumière", "Nicéphore Niépce", "Antoine Lavoisier", "André-Marie Ampère"]
TITLED = ["du Général de Gaulle", "du Maréchal Foch", "du Maréchal Leclerc", "du Président Wilson",
          "du Maréchal Joffre", "du Général Leclerc", "du Docteur Schweitzer", "du Commandant Charcot",
          "du Président Kennedy", "du Colonel Fabien", "de l'Abbé Pierre", "du Capitaine Dreyfus",
          "du Professeur Calmette", "du Lieutenant Colonel Driant", "du Docteur Roux"]
THINGS = ["de la République", "de la Liberté", "de la Paix", "de la Gare", "de l'Église",
          "du Moulin", "des Écoles", "du Stade", "du Château", "du Port", "de la Mairie",
          "du Lavoir", "des Vignes", "du Bourg", "de la Fontaine", "du Presbytère", "des Jardins",
          "de la Croix", "du Puits", "des Prés", "des Champs", "de la Forêt", "du Bois",
          "de la Plage", "de l'Océan", "du Marais", "de la Rivière", "des Sables", "des Dunes",
          "du Soleil", "de la Libération", "des Anciens Combattants", "de Verdun", "de la Résistance",
          "des Martyrs", "du Commerce", "de l'Industrie", "des Artisans", "de la Poste",
          "de l'Hôpital", "du Cimetière", "de la Halle", "du Marché", "des Halles", "du Temple",
          "de la Chapelle", "du Calvaire", "de la Tour", "des Remparts", "du Pont", "de la Vallée",
          "du Coteau", "de la Côte", "des Carrières", "de la Garenne", "des Vergers", "du Lac",
          "de l'Étang", "du Canal", "de la Source", "du Parc", "de la Prairie", "des Moissons",
          "de la Croix Blanche", "du Grand Champ", "de la Petite Vitesse", "des Quatre Vents",
          "du Fief", "de la Métairie", "du Clos", "des Granges", "de la Chaume", "des Écluses"]
TREES = ["Peupliers", "Tilleuls", "Acacias", "Chênes", "Lilas", "Roses", "Mimosas", "Pins",
         "Marronniers", "Cerisiers", "Platanes", "Ormes", "Jonquilles", "Bleuets", "Coquelicots",
         "Violettes", "Iris", "Glycines", "Hortensias", "Camélias", "Magnolias", "Bruyères",
         "Genêts", "Ajoncs", "Fougères", "Noisetiers", "Châtaigniers", "Saules", "Bouleaux",
         "Frênes", "Érables", "Cèdres", "Sapins", "Oliviers", "Tamaris", "Aubépines", "Lauriers",
         "Alouettes", "Mésanges", "Hirondelles", "Rossignols", "Fauvettes", "Mouettes", "Goélands",
         "Cigognes", "Bergeronnettes", "Pinsons", "Tourterelles", "Palombes", "Écureuils"]
DATES = ["du 8 Mai 1945", "du 11 Novembre 1918", "du 14 Juillet", "du 19 Mars 1962",
         "du 4 Septembre", "du 18 Juin 1940", "du 1er Mai", "du 24 Février", "du 29 Juillet"]
SAINTS = ["Martin", "Pierre", "Jean", "Nicolas", "Michel", "Louis", "Joseph", "Éloi", "Roch",
          "Vincent", "Antoine", "Sauveur", "Laurent", "Georges", "Jacques", "Hilaire", "Germain",
          "Denis", "Médard", "Sulpice", "Aubin", "Cyr", "Genès", "Xandre", "Rogatien", "Sornin"]
SAINTES = ["Anne", "Marie", "Catherine", "Thérèse", "Radegonde", "Soulle", "Marguerite", "Foy"]
FIRST = ["Jean", "Pierre", "Louis", "Marcel", "André", "Henri", "Paul", "Georges", "René",
         "Jacques", "Marie", "Jeanne", "Louise", "Suzanne", "Madeleine", "Germaine", "Lucien",
         "Émile", "Joseph", "Roger", "Maurice", "Robert", "Fernand", "Gaston", "Albert", "Raymond"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont",
        "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
        "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
        "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
        "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
        "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
        "Dufour", "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux",
        "Colin", "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud",
        "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Philippe"]
ROOTS = ["Aigre", "Angl", "Arc", "Aul", "Beau", "Bel", "Bois", "Bourg", "Bri", "Cha", "Champ",
         "Château", "Chau", "Clair", "Cour", "Crois", "Font", "Grand", "Jon", "Lon", "Mar", "Mont",
         "Mor", "Neu", "Pont", "Roche", "Roque", "Sau", "Ver", "Vil", "Aur", "Bar", "Ber", "Bon",
         "Bou", "Cas", "Cha", "Cler", "Cou", "Dam", "Dom", "Esc", "Fer", "Fla", "Gar", "Gen",
         "Gou", "Gre", "Lan", "Lau", "Lez", "Lou", "Mag", "Mai", "Man", "Mer", "Mon", "Nan",
         "Nor", "Orl", "Pal", "Per", "Pla", "Pou", "Puy", "Rey", "Riv", "Ros", "Sal", "Sen",
         "Sor", "Tal", "Tor", "Tour", "Val", "Vau", "Ven", "Vic", "Vig", "Vol", "Ay", "Ar",
         "Bre", "Cor", "Dor", "Em", "Ger", "Hau", "Mar", "Or", "Sai", "Tre"]
ENDS = ["ac", "ay", "ville", "court", "mont", "ignac", "ière", "ieux", "ans", "el", "ois", "y",
        "eux", "at", "é", "ou", "in", "and", "euil", "ange", "ac", "an", "as", "ès", "illac",
        "ignan", "eville", "iers", "ault", "on", "ac", "aux", "oles", "ine", "elle", "ery"]
RIVERS = ["Loire", "Vienne", "Charente", "Sèvre", "Dordogne", "Garonne", "Seine", "Marne",
          "Saône", "Rhône", "Lot", "Tarn", "Aude", "Mer", "Cher", "Indre", "Creuse", "Vézère"]
REGIONS = ["Ré", "Aunis", "Saintonge", "Champagne", "Brie", "Vexin", "Berry", "Forez", "Gâtine"]
DEPS = ["%02d" % d for d in range(1, 96) if d != 20] + ["2A", "2B"]
LONS, LATS = (-4.4, 7.6), (43.0, 50.8)


def lambert93(lon, lat):
    """Lambert-93 (IGN closed formulas), the same as src/core/geocode.c."""
    e, n, c, xs, ys = 0.08181919106, 0.7256077650, 11754255.426, 700000.0, 12655612.050
    phi = math.radians(lat)
    es = e * math.sin(phi)
    iso = math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - es) / (1 + es)) ** (e / 2))
    r = c * math.exp(-n * iso)
    g = n * math.radians(lon - 3.0)
    return xs + r * math.sin(g), ys - r * math.cos(g)


def afnor(z):
    z = unicodedata.normalize("NFKD", z)
    z = "".join(ch for ch in z if not unicodedata.combining(ch))
    return z.upper().replace("'", " ").replace("-", " ")


def weighted(rng, items):
    total = sum(w for _, w in items)
    x = rng.random() * total
    for v, w in items:
        x -= w
        if x <= 0:
            return v
    return items[-1][0]


def commune_name(rng):
    base = rng.choice(ROOTS) + rng.choice(ENDS)
    r = rng.random()
    if r < 0.12:
        return "Saint-" + rng.choice(SAINTS) + ("" if rng.random() < 0.6 else "-" + base)
    if r < 0.16:
        return "Sainte-" + rng.choice(SAINTES)
    if r < 0.24:
        return base + "-sur-" + rng.choice(RIVERS)
    if r < 0.28:
        return base + "-en-" + rng.choice(REGIONS)
    if r < 0.34:
        return rng.choice(["Le ", "La ", "Les "]) + base
    if r < 0.37:
        return base + "-les-Bains"
    return base


def street_name(rng, kind, neighbours):
    r = rng.random()
    if kind in ("Route", "Chemin") and r < 0.45 and neighbours:
        n = rng.choice(neighbours)
        return "de " + n if n[0] not in "AEIOUYÉÈ" else "d'" + n
    if r < 0.22:
        return rng.choice(PEOPLE)
    if r < 0.28:
        return rng.choice(TITLED)
    if r < 0.50:
        return rng.choice(THINGS)
    if r < 0.66:
        return "des " + rng.choice(TREES)
    if r < 0.70:
        return rng.choice(DATES)
    if r < 0.76:
        return ("Saint-" + rng.choice(SAINTS)) if rng.random() < 0.8 else ("Sainte-" + rng.choice(SAINTES))
    return rng.choice(FIRST) + " " + rng.choice(LAST)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="file to write (.csv or .csv.gz)")
    ap.add_argument("-n", type=int, default=2_000_000, help="addresses (default 2,000,000)")
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = gzip.open(a.out, "wt", encoding="utf-8", compresslevel=3) if a.out.endswith(".gz") \
        else open(a.out, "w", encoding="utf-8")
    out.write(HEADER + "\n")
    written, communes, streets = 0, 0, 0
    dep_centres = {d: (rng.uniform(*LONS), rng.uniform(*LATS)) for d in DEPS}
    dep_next = {d: 1 for d in DEPS}
    recent = []  # names of the last communes made, for "Route de …"
    while written < a.n:
        dep = rng.choice(DEPS)
        size = min(int(25 * rng.paretovariate(1.05)), 60000, a.n - written)
        if size < 1:
            continue
        name = commune_name(rng)
        insee = "%s%03d" % (dep, dep_next[dep] % 1000)
        dep_next[dep] += 1
        cp = "%s%d%d0" % (dep[:2].replace("2A", "20").replace("2B", "20"), rng.randrange(10), rng.randrange(10))
        clon, clat = dep_centres[dep]
        clon += rng.uniform(-0.4, 0.4)
        clat += rng.uniform(-0.3, 0.3)
        radius = 0.002 + 0.00012 * math.sqrt(size)  # degrees
        commune_afnor = afnor(name)
        names = {}
        left = size
        while left > 0:
            k = min(left, max(1, int(rng.expovariate(1 / 14.0))), 400)
            kind = weighted(rng, TYPES)
            nm = kind + " " + street_name(rng, kind, recent)
            if nm in names:
                continue
            names[nm] = k
            left -= k
        for sn, (nm, k) in enumerate(sorted(names.items())):
            fantoir = "%s_%04x" % (insee, sn)
            x0 = clon + rng.uniform(-radius, radius)
            y0 = clat + rng.uniform(-radius, radius)
            ang = rng.uniform(0, math.pi)
            step = rng.uniform(6, 14) / 111000.0
            coslat = math.cos(math.radians(y0))
            num, made = 0, 0
            nom_afnor = afnor(nm)
            while made < k:
                num += 1 if rng.random() < 0.85 else rng.randint(2, 4)
                reps = [""]
                r = rng.random()
                if r < 0.07:
                    reps.append("bis")
                    if rng.random() < 0.15:
                        reps.append("ter")
                elif r < 0.075:
                    reps.append(rng.choice("abc"))
                for rep in reps:
                    if made >= k:
                        break
                    side = 1 if num % 2 else -1
                    t = (num // 2) * step
                    lon = x0 + (t * math.cos(ang) + side * 0.00006 * -math.sin(ang)) / coslat
                    lat = y0 + t * math.sin(ang) + side * 0.00006 * math.cos(ang)
                    x, y = lambert93(lon, lat)
                    ident = "%s_%05d%s" % (fantoir, num, "_" + rep if rep else "")
                    out.write("%s;%s;%d;%s;%s;%s;%s;%s;;;%.2f;%.2f;%.6f;%.6f;entrée;;;%s;%s;commune;commune;1;\n" % (
                        ident, fantoir, num, rep, nm, cp, insee, name, x, y, lon, lat,
                        commune_afnor, nom_afnor))
                    made += 1
            streets += 1
        written += size
        communes += 1
        recent = (recent + [name])[-8:]
        if communes % 500 == 0:
            print("  %d adresses…" % written, file=sys.stderr)
    out.close()
    print("%d adresses, %d voies, %d communes écrites dans %s" % (written, streets, communes, a.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
