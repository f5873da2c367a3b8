"""The photo path's words: what the recognition models' classes are called by people.

ImageNet's 1,000 classes are fine-grained ("tiger cat", "Egyptian cat", 118 dog
breeds); people ask "what animal is this?" and expect "a cat". `KIND_RANGES` groups
the classes into the kinds people name, by ranges of ImageNet's ordering (checked
against the label file by a test), and `CATEGORIES` says which kinds are animals,
vehicles, food. COCO's 80 detector classes are what can be counted and located;
`NOUNS` maps the words people use to them. The tables are written as text, one entry
per line, so that they stay readable.
"""

from __future__ import annotations


def _table(text: str) -> dict[str, list[str]]:
    """'key: a, b, c' lines -> {key: [a, b, c]}."""
    rows = (line.split(":", 1) for line in text.strip().splitlines())
    return {key.strip(): [v.strip() for v in values.split(",") if v.strip()] for key, values in rows}


def _ranges(text: str) -> dict[str, list[tuple[str, str]]]:
    """'kind: first..last, single' lines -> {kind: [(first, last), (single, single)]}."""
    return {kind: [(r.split("..")[0], r.split("..")[-1]) for r in spans] for kind, spans in _table(text).items()}


def _inverse(text: str) -> dict[str, str]:
    """'target: word, word' lines -> {word: target}; a target is a word for itself too,
    unless it is a description ("spider or other bug", "dish of food")."""
    table = _table(text).items()
    return {
        word: target for target, said in table for word in [*said, *([target] if not {"or", "of"} & set(target.split()) else [])]
    }


# kind -> ImageNet labels, as inclusive ranges of ImageNet's order or single labels
KIND_RANGES: dict[str, list[tuple[str, str]]] = _ranges("""
fish: tench..stingray, barracouta..puffer
bird: cock..great grey owl, black grouse..black swan, white stork..albatross
frog or salamander: European fire salamander..tailed frog
turtle: loggerhead..box turtle
lizard: banded gecko..Komodo dragon
crocodile: African crocodile..American alligator
snake: thunder snake..sidewinder
spider or other bug: trilobite..centipede, tiger beetle..lycaenid
sea creature: jellyfish..isopod, starfish..sea cucumber
whale or seal: grey whale..sea lion
dog: Chihuahua..Mexican hairless
wolf or fox: timber wolf..grey fox
cat: tabby..Egyptian cat
big cat: cougar..cheetah
bear: brown bear..sloth bear, giant panda
rabbit: wood rabbit..Angora
rodent: hamster..guinea pig
horse: sorrel
zebra: zebra
pig: hog..warthog
cow: ox..bison
sheep or goat: ram..ibex
antelope: hartebeest..gazelle
camel or llama: Arabian camel..llama
monkey or ape: orangutan..indri
elephant: tusker, Indian elephant..African elephant
car: beach wagon, cab, convertible, jeep, limousine, minivan, Model T, racer, sports car, car wheel, grille
truck or van: ambulance, fire engine, garbage truck, moving van, pickup, police van, tow truck, trailer truck, recreational vehicle
bus: school bus, trolleybus, minibus
train: bullet train, electric locomotive, steam locomotive, freight car, passenger car, streetcar
bicycle: mountain bike, bicycle-built-for-two, tricycle, unicycle
motorcycle: moped, motor scooter
aircraft: airliner, warplane, airship, space shuttle
rocket: missile, projectile
boat: canoe, speedboat, lifeboat, fireboat, gondola, catamaran, trimaran, container ship, liner, schooner, yawl, pirate, aircraft carrier, submarine, paddlewheel
tractor or other machine: tractor, forklift, harvester, snowplow, golfcart, go-kart, snowmobile
coffee: espresso
cup: cup, coffee mug
fruit: Granny Smith..pomegranate
vegetable: head cabbage..mushroom
dish of food: guacamole..mashed potato, carbonara..burrito, plate
drink: red wine, eggnog
""")

CATEGORIES: dict[str, tuple[str, ...]] = {
    name: tuple(kinds)
    for name, kinds in _table("""
animal: fish, bird, frog or salamander, turtle, lizard, crocodile, snake, spider or other bug, sea creature, whale or seal, dog, wolf or fox, cat, big cat, bear, rabbit, rodent, horse, zebra, pig, cow, sheep or goat, antelope, camel or llama, monkey or ape, elephant
vehicle: car, truck or van, bus, train, bicycle, motorcycle, aircraft, rocket, boat, tractor or other machine
food: coffee, fruit, vegetable, dish of food, drink
""").items()
}
# words people use for a category -> the category
CATEGORY_WORDS: dict[str, str] = _inverse("""
animal: animals, pet, creature
vehicle: vehicles, transport
food: dish, meal, drink, fruit, beverage
""")

# Detector classes (COCO-80) under the words people use; the reader adds plurals.
NOUNS: dict[str, str] = _inverse("""
person: people, persons, human, humans, man, men, woman, women, child, children, kid, kids, boy, girl, guy, lady, astronaut, player, someone, anyone, somebody, anybody
bicycle: bike
car: auto
motorcycle: motorbike
airplane: plane, aeroplane, jet
bus:
train:
truck: lorry
boat: ship
traffic light:
fire hydrant: hydrant
stop sign:
parking meter:
bench:
bird:
cat: kitten, kitty
dog: puppy
horse:
sheep:
cow:
elephant:
bear:
zebra:
giraffe:
backpack:
umbrella:
handbag: bag, purse
tie: necktie
suitcase: luggage
frisbee:
skis: ski
snowboard:
sports ball: ball
kite:
baseball bat: bat
baseball glove: glove
skateboard:
surfboard:
tennis racket: racket, racquet
bottle:
wine glass: glass
cup: mug
fork:
knife:
spoon:
bowl:
banana:
apple:
sandwich:
orange:
broccoli:
carrot:
hot dog: hotdog
pizza:
donut: doughnut
cake:
chair:
couch: sofa
potted plant: plant
bed:
dining table: table
toilet:
tv: television
laptop: computer
mouse:
remote:
keyboard:
cell phone: phone, cellphone, smartphone
microwave:
oven: stove
toaster:
sink:
refrigerator: fridge
book:
clock:
vase:
scissors:
teddy bear: teddy
hair drier: hairdryer
toothbrush:
""")
# Detector classes it often misses (small in most photos): their absence is never said.
SMALL_OBJECTS = set(
    _table("""
small: spoon, fork, knife, scissors, toothbrush, cell phone, remote, mouse, tie, sports ball, hair drier, book, clock
""")["small"]
)
# Words that name a person but say more than the detector can see.
PERSON_DETAIL = set("man men woman women child children kid kids boy girl guy lady astronaut player".split())

# Words for the classifier's kinds (the detector knows some of them too).
KIND_NOUNS: dict[str, str] = _inverse("""
fish:
bird:
frog or salamander: frog, salamander
turtle: tortoise
lizard: gecko, iguana
crocodile: alligator
snake:
spider or other bug: spider, bug, insect, beetle, butterfly
sea creature: jellyfish, crab, starfish
whale or seal: whale, seal
dog: puppy
wolf or fox: wolf, fox
cat: kitten, kitty
big cat: lion, tiger, leopard, cheetah
bear: panda
rabbit: bunny
rodent: hamster, squirrel
horse:
zebra:
pig:
cow: bull, ox
sheep or goat: sheep, goat
camel or llama: camel, llama
monkey or ape: monkey, ape, gorilla
elephant:
car:
truck or van: truck, van
bus:
train:
bicycle: bike
motorcycle: scooter
aircraft: plane, airplane
rocket: missile
boat: ship
tractor or other machine: tractor
coffee: espresso
cup: mug
fruit:
vegetable:
drink: wine
""")

# Detector classes that make a room what it is.
ROOMS: dict[str, tuple[str, ...]] = {
    room: tuple(objects)
    for room, objects in _table("""
kitchen: oven, refrigerator, microwave, toaster, sink
bathroom: toilet, toothbrush, hair drier, sink
bedroom: bed
living room: couch, tv, remote
dining room: dining table
office: laptop, keyboard, mouse
""").items()
}
# ImageNet classes that say which room a photo shows, besides the detector's objects.
ROOM_CLASSES: dict[str, tuple[str, ...]] = {
    room: tuple(classes)
    for room, classes in _table("""
kitchen: refrigerator, microwave, stove, dishwasher, toaster, Dutch oven, wok, frying pan, espresso maker, dishrag
bathroom: toilet seat, washbasin, bathtub, shower curtain, tub, toilet tissue, medicine chest
bedroom: four-poster, quilt, cradle, crib, wardrobe
living room: studio couch, home theater, television, entertainment center, rocking chair, fire screen
dining room: dining table, china cabinet
office: desk, desktop computer, monitor, computer keyboard, mouse, printer, notebook
""").items()
}

# Whether a photo is indoors or out: what only one side has (a person, a table or a cat
# is on both). The rooms' objects and classes above are indoors.
INDOOR_OBJECTS = frozenset(o for objects in ROOMS.values() for o in objects)
INDOOR_CLASSES = frozenset(c for classes in ROOM_CLASSES.values() for c in classes)
OUTDOOR_OBJECTS = frozenset(
    "car bus truck train airplane boat kite skis snowboard surfboard horse sheep cow elephant bear zebra giraffe".split()
    + ["traffic light", "fire hydrant", "stop sign", "parking meter"]
)
OUTDOOR_CLASSES = frozenset(
    ["alp", "cliff", "coral reef", "geyser", "lakeside", "promontory", "sandbar", "seashore", "valley", "volcano"]
    # buildings seen from outside, structures in the open, vehicles and things of roads, fields and water
    + ["palace", "castle", "church", "mosque", "stupa", "triumphal arch", "obelisk", "totem pole", "fountain", "megalith"]
    + ["suspension bridge", "steel arch bridge", "viaduct", "dam", "breakwater", "pier", "boathouse", "beacon", "dock"]
    + ["barn", "greenhouse", "water tower", "bell cote", "cliff dwelling", "yurt", "mobile home", "patio", "sundial"]
    + ["picket fence", "worm fence", "stone wall", "park bench", "street sign", "mailbox", "scoreboard", "parachute"]
    + ["missile", "space shuttle", "projectile", "airliner", "go-kart", "golfcart", "snowmobile", "tractor", "harvester"]
    + ["thresher", "plow", "hay", "corn", "rapeseed", "ski", "dogsled", "bobsled", "container ship", "liner", "schooner"]
    + ["canoe", "speedboat", "gondola", "catamaran", "trimaran", "fire engine", "garbage truck", "tow truck"]
    + ["trailer truck", "moving van", "police van", "minibus", "school bus", "trolleybus", "streetcar", "freight car"]
    + ["passenger car", "electric locomotive", "steam locomotive", "lawn mower", "flagpole"]
)
# Indoor classes beside the rooms': shops, furniture and appliances.
INDOOR_CLASSES = INDOOR_CLASSES | frozenset(
    ["bookcase", "library", "restaurant", "shoe shop", "toyshop", "barbershop", "bakery", "grocery store", "tobacco shop"]
    + ["confectionery", "window shade", "shower curtain", "theater curtain", "cinema", "chiffonier", "medicine chest"]
    + ["dishwasher", "refrigerator", "microwave", "stove", "washer", "vacuum", "iron", "lampshade", "table lamp", "bannister"]
)
