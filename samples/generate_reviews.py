"""Generate the bundled demo dataset: product reviews composed from our own fragments.

Every sentence below was written for this project; nothing is copied from a public dataset.
The output is deterministic (fixed seed, standard library only), so running
`python samples/generate_reviews.py` always rebuilds the same `reviews.csv` and
`reviews-small.csv`, byte for byte.

The star rating drives the tone: 5 is warm, 4 is warm with one small complaint, 3 is mixed,
2 is mostly unhappy with one kind word, 1 is plainly unhappy. That keeps the label a sentiment
prompt should produce easy to check by eye in a demo.

Fragments are tagged with the products they suit (a knife never "heats up quickly"), and a few
placeholders keep the grammar right for plural products such as earbuds or curtains:
`{p}` short product noun, `{It}`/`{it}` It/They, `{is}` is/are, `{ItIs}`/`{itis}` It's/They're, `{has}` has/have,
`{was}` was/were, `{s}` and `{es}` verb endings (get{s}, do{es}n't), `{them}` it/them,
`{This}`/`{this}` This/These, `{who}` a person, `{when}` a duration.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
DEFAULT_ROWS = 1250
SMALL_ROWS = 40
HERE = Path(__file__).resolve().parent
COLUMNS = ["review_id", "product", "category", "rating", "title", "review_text"]

# Real review sites lean positive; so does this mix (1..5 stars).
RATING_WEIGHTS = {1: 13, 2: 9, 3: 15, 4: 26, 5: 37}
# How many sentences a review aims for (1..4).
LENGTH_WEIGHTS = {1: 18, 2: 37, 3: 30, 4: 15}

# A fragment is either a sentence that suits every product of its category,
# or (sentence, "tag|tag") that suits only products carrying one of those tags.
Fragment = str | tuple[str, str]


@dataclass(frozen=True)
class Product:
    name: str  # catalogue name, the CSV `product` column
    short: str  # the noun a reviewer would use in the text
    tags: frozenset[str]
    plural: bool


def product(name: str, short: str, tags: str = "", plural: bool = False) -> Product:
    """The short noun is always a tag, so fragments can name a product directly."""
    return Product(name, short, frozenset({short, *filter(None, tags.split("|"))}), plural)


@dataclass(frozen=True)
class Category:
    products: list[Product]
    praise: list[Fragment]
    complaints: list[Fragment]
    mixed: list[Fragment]
    minor: list[Fragment]  # small downsides, phrased to follow "The only downside is"
    titles_good: list[Fragment]
    titles_mixed: list[Fragment]
    titles_bad: list[Fragment]


AUDIO = "speaker|headphones|earbuds"
BATTERY = "speaker|headphones|watch|keyboard|e-reader|earbuds"
CHARGES = "speaker|headphones|power bank|watch|e-reader|earbuds|dash cam"
APP = "watch|smart plugs|dash cam|speaker|headphones|earbuds"
ELECTRIC = "coffee maker|frother|kettle|grinder|air fryer|slow cooker"
SKIN = "moisturizer|hand cream|sunscreen|face wash|masks|lotion"
CREAM = "moisturizer|hand cream|sunscreen|lotion|hair oil"
HAIR_TOOL = "hair dryer|curling wand"

CATEGORIES: dict[str, Category] = {
    "electronics": Category(
        products=[
            product("Aurora 40W Bluetooth Speaker", "speaker"),
            product("Pulse ANC Over-Ear Headphones", "headphones", plural=True),
            product("VoltPack 20000mAh Power Bank", "power bank"),
            product("ClearView 1080p Webcam", "webcam"),
            product("TrailTrack GPS Running Watch", "watch"),
            product("QuietKeys Wireless Keyboard", "keyboard"),
            product("NovaDock 7-in-1 USB-C Hub", "hub"),
            product("Lumen E-Reader 6 inch", "e-reader"),
            product("Sonata True Wireless Earbuds", "earbuds", plural=True),
            product("HomeBeam Smart Plug (2-pack)", "smart plugs", plural=True),
            product("DriveSafe Dash Cam Mini", "dash cam"),
        ],
        praise=[
            ("Battery life is excellent, I charge the {p} maybe once a week.", BATTERY),
            (
                "Setup took about two minutes and {it} paired with my phone on the first try.",
                "speaker|headphones|watch|keyboard|earbuds|smart plugs",
            ),
            ("The sound is full and clear, even at low volume.", AUDIO),
            "Build quality feels solid for the price, no creaks or loose parts.",
            ("The app is simple and does exactly what it says.", APP),
            (
                "{It} {has} survived a few drops onto a tile floor without a scratch.",
                "speaker|headphones|power bank|watch|keyboard|e-reader|earbuds|dash cam",
            ),
            "I use the {p} every day and haven't had a single problem.",
            ("Firmware updates actually added features instead of breaking things.", APP + "|e-reader"),
            ("Charging is fast: from empty to full in a little over an hour.", CHARGES),
            (
                "{ItIs} small enough to fit in a jacket pocket, which is exactly what I wanted.",
                "speaker|power bank|earbuds|e-reader",
            ),
            ("Connection is rock steady, even two rooms away from the router.", "smart plugs|speaker"),
            ("The picture is sharp and the colours look natural, even in a dim room.", "webcam"),
            ("Footage is clear enough to read number plates at night.", "dash cam"),
            ("It charges my phone almost three times from full.", "power bank"),
            ("Typing feels quiet and precise, and the keys have a nice soft bounce.", "keyboard"),
            ("All the ports work at full speed, including 4K over HDMI.", "hub"),
            ("The screen is easy on the eyes and reading in direct sun is no problem.", "e-reader"),
            ("GPS locks on within seconds and the distance matches my usual route exactly.", "watch"),
            ("The noise cancelling makes my commute so much calmer.", "headphones|earbuds"),
            ("I put the lamps on a schedule and they have switched on right on time for months.", "smart plugs"),
        ],
        complaints=[
            ("The {p} stopped charging after three weeks and support never replied.", CHARGES),
            ("Bluetooth drops out every few minutes, which makes {them} useless for calls.", AUDIO),
            ("The battery barely lasts half a day, nowhere near the advertised time.", BATTERY),
            ("{It} get{s} uncomfortably hot while charging.", CHARGES),
            ("The app wants an account, my location and my contacts just to turn {them} on.", APP),
            ("Audio lags behind the video by almost a second.", AUDIO),
            (
                "One of the buttons stuck within the first week.",
                "speaker|headphones|power bank|watch|e-reader|earbuds|smart plugs|dash cam",
            ),
            (
                'The description says "works with all phones", but mine is not one of them.',
                "speaker|headphones|watch|earbuds|power bank|smart plugs",
            ),
            ("{It} arrived with a cracked casing and a charger for the wrong plug type.", CHARGES),
            ("The microphone makes me sound like I'm calling from inside a tin can.", "headphones|earbuds|webcam"),
            ("The picture is grainy and washed out unless the room is brightly lit.", "webcam"),
            ("It silently stopped recording, and of course that was the day I needed the footage.", "dash cam"),
            ("Several keys double-type, so every email needs proofreading.", "keyboard"),
            ("My laptop loses the external monitor whenever the {p} gets warm.", "hub"),
            ("{It} disconnect{s} from the Wi-Fi every night and need{s} a reset by hand.", "smart plugs"),
            ("It takes all night to recharge and then barely fills my phone once.", "power bank"),
            ("The heart rate readings jump around so much they're meaningless.", "watch"),
            ("Pages freeze halfway through turning, and the screen ghosts badly.", "e-reader"),
            ("Two of the USB ports stopped working after a month.", "hub"),
            ("{ItIs} noticeably flimsier than the photos suggest.", "hub|webcam|keyboard"),
        ],
        mixed=[
            ("{It} work{s}, but the app is clunky and the manual is a single folded sheet.", APP),
            ("Sound is good for the size, though the bass is a bit thin.", "speaker|earbuds"),
            "Does the job, although the cable it ships with is very short.",
            "Fine for the price, just don't expect premium materials.",
            ("The hardware is decent, the companion software less so.", APP),
            ("Comfortable for an hour, after that they start to press on my ears.", "headphones|earbuds"),
            ("Good picture in daylight, noticeably worse after dark.", "webcam|dash cam"),
        ],
        minor=[
            "the cable is only about 50 cm long",
            "the status light is far too bright at night",
            ("the case attracts fingerprints", "speaker|power bank|watch|e-reader|dash cam|keyboard|hub"),
            "the manual is written in very small print",
            ("{it} take{s} a few seconds to wake up", "keyboard|e-reader|watch|speaker"),
        ],
        titles_good=[
            "Does exactly what I needed",
            "Great little gadget",
            "Worth every penny",
            "Impressed",
            "Best purchase this year",
            "Solid and reliable",
        ],
        titles_mixed=["Decent, not amazing", "Okay for the price", "Mixed feelings", "Works, with caveats"],
        titles_bad=["Stopped working", "Do not buy", "Disappointed", "Returned it", "Not as advertised"],
    ),
    "kitchen": Category(
        products=[
            product("Brewmaster 12-Cup Coffee Maker", "coffee maker"),
            product("SteelEdge 8-inch Chef's Knife", "knife"),
            product("Café Crème Milk Frother", "frother"),
            product("Everyday Nonstick Frying Pan 28 cm", "pan"),
            product("QuickBoil 1.7L Electric Kettle", "kettle"),
            product("FreshKeep Glass Container Set", "containers", plural=True),
            product("SpiceRight Burr Grinder", "grinder"),
            product("CrispAir 4L Air Fryer", "air fryer"),
            product("Bamboo Cutting Board, Large", "cutting board"),
            product("Brûlée Kitchen Torch", "torch"),
            product("SlowSimmer 6qt Slow Cooker", "slow cooker"),
        ],
        praise=[
            ("{It} heat{s} up quickly and clean{s} in seconds.", "coffee maker|frother|pan|kettle|air fryer"),
            ("The {p} feel{s} sturdy and well balanced in the hand.", "knife|pan|torch|grinder"),
            ("Everything I've cooked in {them} so far came out evenly, no hot spots.", "pan|air fryer|slow cooker"),
            ("{It} look{s} great on the counter and do{es}n't take up much room.", ELECTRIC + "|cutting board"),
            ("Dishwasher safe, and {it} still look{s} new after months of use.", "containers|pan"),
            (
                "My morning coffee is noticeably better since I started using the {p}.",
                "coffee maker|frother|grinder|kettle",
            ),
            ("I made a jalapeño chili in it last weekend and it was perfect.", "slow cooker|pan"),
            ("{ItIs} quiet, which matters in a small apartment.", "coffee maker|frother|kettle|air fryer|slow cooker"),
            ("The lids seal tightly, nothing has leaked in my bag.", "containers"),
            ("Easy to take apart and put back together, even for me.", "coffee maker|grinder|air fryer|frother"),
            ("Slices through tomatoes like they're not there.", "knife"),
            ("Chips come out crispy with a fraction of the oil.", "air fryer"),
            ("Caramelised the top of a crème brûlée in seconds, just like in a restaurant.", "torch"),
            ("It's big enough for a whole loaf and doesn't slide around on the counter.", "cutting board"),
            ("Boils a full jug in about three minutes.", "kettle"),
            ("The grind is consistent, from espresso fine to French press coarse.", "grinder"),
            ("The milk foam is thick and silky, better than my local café.", "frother"),
            ("I put everything in before work and come home to a perfect stew.", "slow cooker"),
            ("They stack neatly and the glass doesn't stain, even with curry.", "containers"),
            ("Holds its edge for weeks, even with daily chopping.", "knife"),
            ("The juice groove actually catches everything when I carve a roast.", "cutting board"),
            ("Easy to refill, and the safety lock gives me peace of mind.", "torch"),
        ],
        complaints=[
            ("The nonstick coating started peeling after a month of gentle use.", "pan|air fryer"),
            ("The {p} leak{s} from the base every single time.", "coffee maker|kettle|frother"),
            ("{It} {has} a strong plastic smell that hasn't gone away after ten uses.", ELECTRIC + "|containers"),
            ("The handle gets far too hot to touch.", "pan|kettle"),
            ('The box said "dishwasher safe", yet {it} came out warped after one cycle.', "containers|pan"),
            ("{It} rusted within two weeks, even though I dry {them} by hand.", "knife|pan"),
            ("The motor sounds like a small airplane taking off.", "grinder|air fryer|frother"),
            ("The lid doesn't fit properly, so steam escapes everywhere.", "slow cooker|kettle"),
            "{ItIs} much smaller than the photos suggest.",
            ("The blade was dull straight out of the box.", "knife"),
            ("Two of the lids cracked the first time I used them.", "containers"),
            ("The flame sputters and the ignition only works one time in five.", "torch"),
            ("The board split along a seam after a couple of weeks.", "cutting board"),
            ("The coffee comes out lukewarm and tastes burnt at the same time.", "coffee maker"),
            ("It burned the bottom of the stew while the top was still cold.", "slow cooker"),
            ("It warped after the first wash and now rocks on the counter.", "cutting board"),
            ("The gas runs out after a handful of uses.", "torch"),
        ],
        mixed=[
            ("Works well, but {itis} a pain to clean around the seams.", ELECTRIC),
            ("Good results, although {it} take{s} longer than the recipe book claims.", "air fryer|slow cooker"),
            "Nice design, average performance.",
            ("{It} do{es} the job, but I wish the cord were longer.", ELECTRIC),
            ("Cooks well, though the buttons are confusing at first.", "air fryer|slow cooker"),
            ("Sharp enough, but the handle is slippery when wet.", "knife"),
            ("Handy sizes, though the lids are fiddly to match.", "containers"),
            ("Works, but the board stains easily and needs oiling.", "cutting board"),
        ],
        minor=[
            ("the cord is a bit short", ELECTRIC),
            ("it beeps loudly when it's done", "air fryer|slow cooker|kettle|coffee maker"),
            ("the measuring lines are hard to read", "kettle|coffee maker|containers"),
            "{itis} heavier than I expected",
            ("the lid doesn't go in the dishwasher", "slow cooker"),
            ("it needs oiling now and then", "cutting board"),
            ("the refill gas is sold separately", "torch"),
            ("it doesn't come with a sheath", "knife"),
        ],
        titles_good=[
            "Love it",
            "Kitchen essential",
            "Makes cooking easier",
            "Exactly what I wanted",
            "Great value",
            "Use it every day",
        ],
        titles_mixed=["Good but not great", "Does the job", "Some quirks", "Okay, could be better"],
        titles_bad=["Broke quickly", "Save your money", "Poor quality", "Not worth it", "Very disappointed"],
    ),
    "books": Category(
        products=[
            product("The Salt Road (paperback)", "novel", "fiction|print"),
            product("Ninety Days of Rain (hardcover)", "novel", "fiction|print"),
            product("A Gardener's Year, Month by Month", "book", "nonfiction|print|garden"),
            product("Noël in Île Rouge (hardcover)", "novel", "fiction|print|translated"),
            product("Practical Statistics for Curious People", "book", "nonfiction|print|stats|exercises"),
            product("The Clockmaker's Apprentice (Kindle edition)", "novel", "fiction|kindle"),
            product("Bread, Salt and Time: A Baking Memoir", "memoir", "memoir|print"),
            product("Starlight for Beginners", "guide", "nonfiction|print|stars|exercises"),
            product("Quiet Houses: Short Stories", "collection", "stories|print"),
            product("The Last Ferry to Vigo (audiobook)", "audiobook", "fiction|audio|translated"),
        ],
        praise=[
            ("I couldn't put it down and finished it in two evenings.", "fiction|stories|memoir"),
            ("The characters feel like people you've actually met.", "fiction|stories"),
            ("Beautifully written, with an ending that stayed with me for days.", "fiction|stories"),
            ("The author explains hard ideas without ever talking down to the reader.", "nonfiction"),
            ("The narrator's voice is warm and the pacing is just right.", "audio"),
            ("Each chapter ends with a small exercise, and they really help.", "exercises"),
            ("The descriptions of the coast are so vivid I could smell the sea.", "fiction"),
            ("The recipes work, and the stories around them are funny and honest.", "memoir"),
            "It's the kind of {p} you want to share with everyone you know.",
            ("The translation reads naturally, which is rarer than it should be.", "translated"),
            ("The month-by-month plans made my vegetable patch far more productive.", "garden"),
            ("Finally, p-values explained in a way that actually made sense to me.", "stats"),
            ("I found Saturn's rings on my first clear night, just by following chapter three.", "stars"),
            ("Every story is short enough for a train ride and sharp enough to think about afterwards.", "stories"),
            ("The Kindle edition is cleanly formatted, and the footnotes link both ways.", "kindle"),
            ("The photographs are gorgeous and the layout is easy to follow.", "garden|stars|memoir"),
        ],
        complaints=[
            ("The plot drags for the first hundred pages and never really recovers.", "fiction"),
            ("The ending felt rushed, as if the author ran out of time.", "fiction|memoir"),
            ("My copy had twenty pages printed upside down.", "print"),
            ("The narrator mispronounces half the place names.", "audio"),
            ('It\'s marketed as "a gripping thriller", but nothing happens until the last chapter.', "fiction"),
            ("Too many characters, and none of them are developed.", "fiction|stories"),
            ("The advice is generic and you can find all of it online for free.", "nonfiction"),
            ("The Kindle formatting is broken: tables and images are unreadable.", "kindle"),
            ("The dialogue is stiff and the twist is obvious from chapter two.", "fiction|stories"),
            ("The planting calendar is clearly written for a much warmer climate than mine.", "garden"),
            ("Half the formulas have typos, which is the last thing a beginner needs.", "stats"),
            ("The star charts are printed so dark you can barely make out the constellations.", "stars"),
            ("The spine cracked and pages started falling out on the first read.", "print"),
            ("The audio cuts out for a few seconds in several chapters.", "audio"),
        ],
        mixed=[
            ("Good ideas, but it could have been half as long.", "nonfiction|memoir"),
            "The first half is wonderful, the second half less so.",
            ("Enjoyable enough, though I probably won't remember it in a month.", "fiction|stories|memoir"),
            ("Interesting subject, uneven writing.", "nonfiction|memoir"),
            ("Some stories are brilliant, a few are forgettable.", "stories"),
            ("A pleasant listen, though the narrator rushes the dialogue.", "audio"),
        ],
        minor=[
            ("the print is quite small", "print"),
            ("the map at the front is hard to read", "fiction"),
            "the middle section slows down a little",
            ("the cover creases easily", "print"),
            ("there is no index", "nonfiction"),
            ("the chapters aren't marked in the audio file", "audio"),
            ("the footnotes are all at the very end", "kindle"),
        ],
        titles_good=[
            "A wonderful read",
            ("Could not put it down", "fiction|stories|memoir"),
            ("Beautifully written", "fiction|stories|memoir"),
            "Highly recommended",
            "My new favourite",
            "A gem",
            ("Clear and practical", "nonfiction"),
        ],
        titles_mixed=["Good, not great", "Uneven", "Worth a read, with reservations", "Started strong"],
        titles_bad=["Did not finish", "Boring", "Not for me", "Skip this one", "Very disappointing"],
    ),
    "outdoor": Category(
        products=[
            product("Ridgeline 2-Person Tent", "tent"),
            product("Zürich Trail Daypack 22L", "daypack"),
            product("Summit Down Sleeping Bag -5°C", "sleeping bag"),
            product("Glacier Insulated Water Bottle 750ml", "bottle"),
            product("Firefly Rechargeable Headlamp", "headlamp"),
            product("Trekker Carbon Hiking Poles", "poles", plural=True),
            product("DryPath Waterproof Rain Jacket", "jacket"),
            product("CampChef Folding Stove", "stove"),
            product("Basecamp Camping Chair", "chair"),
            product("Riverstone Hammock with Straps", "hammock"),
        ],
        praise=[
            ("Kept me completely dry during a full day of rain on the ridge.", "tent|jacket"),
            (
                "The {p} {is} light enough that I forget I'm carrying {them}.",
                "daypack|poles|bottle|tent|stove|headlamp",
            ),
            ("Set it up alone in under ten minutes, in the dark.", "tent|hammock"),
            ("Keeps water cold for a whole day in the summer heat.", "bottle"),
            (
                "After two seasons of heavy use, the zips and seams are still perfect.",
                "tent|daypack|sleeping bag|jacket",
            ),
            ("Packs down small and fits easily in the side pocket.", "poles|stove|headlamp|hammock"),
            ("The straps are comfortable even on a long, steep climb.", "daypack"),
            "We took {them} across the Pyrenees and {it} held up beautifully.",
            ("It's warm, it's light, and it actually fits back in the stuff sack.", "sleeping bag"),
            ("The beam is bright enough to light the whole trail ahead.", "headlamp"),
            ("The locks hold firm and the cork grips stay comfortable in the heat.", "poles"),
            ("Boils half a litre in about three minutes, even in the wind.", "stove"),
            ("Comfortable enough to doze off in after a long day's walk.", "chair|hammock"),
            ("Solid and stable, with a cup holder that actually fits a mug.", "chair"),
        ],
        complaints=[
            ("The seams leaked on the very first night of light rain.", "tent|jacket"),
            ("One of the poles snapped on our second trip.", "tent|poles"),
            ("The zipper jammed halfway up and tore the fabric around it.", "tent|daypack|sleeping bag|jacket"),
            ("It's rated for -5°C, but I was shivering at 8°C.", "sleeping bag"),
            ("The buckle broke the first time I tightened the strap.", "daypack"),
            ('The "waterproof" coating washed off after a single wash.', "jacket|daypack"),
            "{ItIs} far heavier than the listing says.",
            ("The battery died after an hour on the lowest setting.", "headlamp"),
            ("{It} wobble{s} on anything but perfectly flat ground.", "chair|stove"),
            ("The lid leaks, so everything in my bag got soaked.", "bottle"),
            ("The fabric ripped where the strap attaches, with me in it.", "hammock|chair"),
            ("The paint flaked off the outside within a month.", "bottle"),
            ("The strap is scratchy and slides down over my eyes.", "headlamp"),
            ("The locks slip under weight, so the poles shrink halfway down a descent.", "poles"),
            ("The pot supports bend as soon as they get hot.", "stove"),
            ("The straps stretch overnight, so I woke up almost on the ground.", "hammock"),
        ],
        mixed=[
            ("Good for fair-weather trips, I wouldn't trust {them} in a storm.", "tent|jacket|stove"),
            ("Comfortable, but the pockets are in awkward places.", "daypack|jacket"),
            "Decent gear for the price, just a bit bulky.",
            ("Works fine, though the instructions are useless.", "tent|stove|hammock"),
            ("{ItIs} sturdy, but folding {them} back up takes two people.", "chair|tent"),
            ("Keeps drinks cool for a morning, not a whole day.", "bottle"),
            ("Bright enough, though the strap loosens while running.", "headlamp"),
            ("Light and handy, though the locks slip now and then.", "poles"),
        ],
        minor=[
            ("the stuff sack is a tight fit", "tent|sleeping bag|hammock"),
            "the colour is a bit darker than in the photos",
            ("the pegs it comes with are flimsy", "tent"),
            ("the straps are a little long", "daypack|hammock"),
            ("the carry bag has no handle", "chair|tent"),
            ("the lid is hard to clean", "bottle"),
            ("the tips wear quickly on rock", "poles"),
            ("the red light mode is hard to find", "headlamp"),
            ("the gas canister is sold separately", "stove"),
        ],
        titles_good=[
            "Trail tested and approved",
            "Excellent gear",
            "Great for camping",
            "Light and tough",
            "Worth it",
            "Perfect for hiking",
        ],
        titles_mixed=["Fine for casual use", "Decent but heavy", "Mostly happy", "Has its limits"],
        titles_bad=[
            "Failed on the first trip",
            ("Not waterproof", "tent|jacket|daypack"),
            "Broke quickly",
            "Poorly made",
            "Returned",
        ],
    ),
    "toys": Category(
        products=[
            product("BuildIt 500-Piece Construction Set", "set", "pieces"),
            product("Wobbly Penguin Stacking Game", "game", "pieces"),
            product("StarGazer Kids Telescope", "telescope"),
            product("Rainbow Wooden Train Set", "train set", "pieces"),
            product("Dino Dig Excavation Kit", "kit"),
            product("Mighty Racer RC Car", "car"),
            product("Puzzle Planet 1000-Piece Jigsaw", "puzzle", "pieces"),
            product("Cuddle Bear Plush, 40 cm", "bear"),
            product("Magic Sand Creative Box", "sand box"),
            product("Little Chef Play Kitchen", "play kitchen"),
        ],
        praise=[
            "My daughter has played with {them} every day since her birthday.",
            ("The pieces are sturdy and fit together easily, even for small hands.", "pieces"),
            "{It} kept both kids busy for a whole rainy afternoon.",
            ("Great for family game night, the grandparents loved it too.", "game|puzzle"),
            ("The instructions are clear and the pictures are easy to follow.", "set|kit|telescope|play kitchen"),
            ("{It} survived my toddler, which says a lot.", "train set|bear|play kitchen|game|car"),
            ("Educational without feeling like homework.", "telescope|kit|set"),
            ("My son, who is six, put the {p} together on his own and was so proud.", "set|train set"),
            ("Soft, well stitched and perfectly safe for a baby.", "bear"),
            "The colours are bright and haven't faded at all.",
            ("We saw the craters on the moon on the very first night.", "telescope"),
            ("Fast, grippy and surprisingly tough when it hits the skirting boards.", "car"),
            ("Digging out the little skeleton kept him focused for hours.", "kit"),
            ("The finished picture looks lovely framed on the wall.", "puzzle"),
            ("The sand holds its shape well and hardly makes a mess.", "sand box"),
        ],
        complaints=[
            ("Several pieces were missing from the box.", "pieces|kit"),
            "{It} broke within an hour of opening the box.",
            ("The remote control stops responding after a few seconds.", "car"),
            ("The paint started chipping off almost immediately.", "train set|play kitchen|car"),
            ('It says "ages 3 and up", but there are tiny parts everywhere.', "set|kit|game"),
            ("The batteries aren't included and it needs six of them.", "car|play kitchen"),
            ("The pieces don't fit together, so my son gave up in tears.", "set|train set|puzzle"),
            "{ItIs} much smaller than {it} look{s} in the pictures.",
            "The {p} {has} a chemical smell that wouldn't go away.",
            ("The image is blurry and the tripod won't stay still.", "telescope"),
            ("The seams split and the stuffing came out within a week.", "bear"),
            ("The sand dries out and crumbles after a couple of days.", "sand box"),
        ],
        mixed=[
            "The kids liked {them} for a week, then {it} went in the cupboard.",
            ("Fun, but the instructions could be a lot clearer.", "set|kit|game|telescope|play kitchen"),
            "Cute, though a bit flimsy for the price.",
            "Good idea, average execution.",
            ("Entertaining, but setup takes an adult half an hour.", "train set|play kitchen|telescope"),
        ],
        minor=[
            ("the box is hard to close again", "set|puzzle|game|kit|sand box"),
            ("it's a little noisy", "car|play kitchen"),
            ("the stickers peel off easily", "play kitchen|train set|car"),
            ("some pieces are very small", "set|puzzle|kit"),
            "{it} take{s} up a lot of space",
            ("the fur flattens after washing", "bear"),
            ("the eyepiece scratches easily", "telescope"),
        ],
        titles_good=[
            "Kids love it",
            "Perfect gift",
            "Hours of fun",
            "Great toy",
            "Big hit with the family",
            "Well made",
        ],
        titles_mixed=["Fun for a while", "Okay toy", "Cute but flimsy", "Not bad"],
        titles_bad=[
            "Broke immediately",
            ("Missing pieces", "pieces|kit"),
            "Waste of money",
            ("Not safe for little ones", "set|kit|game"),
            "Very poor",
        ],
    ),
    "beauty": Category(
        products=[
            product("Crème Riche Night Moisturizer", "moisturizer"),
            product("Eau de Fleur Hand Cream", "hand cream"),
            product("SilkWave Ionic Hair Dryer", "hair dryer"),
            product("Daily Defense SPF 50 Sunscreen", "sunscreen"),
            product("Argan Glow Hair Oil", "hair oil"),
            product("GentleClean Foaming Face Wash", "face wash"),
            product("Velvet Matte Lipstick, Rosewood", "lipstick"),
            product("Bamboo Charcoal Sheet Masks (10)", "masks", plural=True),
            product("ProCurl Ceramic Curling Wand", "curling wand"),
            product("Lavender Sleep Body Lotion", "lotion"),
        ],
        praise=[
            ("My skin feels soft and calm, with no redness at all.", SKIN),
            ("A little goes a long way, so it lasts for ages.", CREAM + "|face wash"),
            (
                "The scent is light and fades after a few minutes, which I prefer.",
                "hand cream|lotion|hair oil|moisturizer",
            ),
            ("{It} absorb{s} quickly and do{es}n't leave a greasy film.", CREAM),
            ("My hair dries in half the time and looks much less frizzy.", "hair dryer"),
            ("I have very sensitive skin and this is the first {p} that didn't sting.", SKIN),
            ("The colour lasts through coffee and lunch without smudging.", "lipstick"),
            ("{It} wear{s} well under makeup and do{es}n't pill.", "moisturizer|sunscreen"),
            ("My dermatologist approved the ingredient list, and I can see why.", SKIN + "|hair oil"),
            ("Soft curls in minutes that actually last until the evening.", "curling wand"),
            ("My ends look healthier and my hair finally shines.", "hair oil"),
            ("My face feels clean without that tight, squeaky feeling.", "face wash"),
            ("Heats up in seconds and the cool-shot button actually works.", HAIR_TOOL),
            ("It's surprisingly quiet for how powerful it is.", "hair dryer"),
            ("A rich, even colour in one swipe, and it doesn't feather.", "lipstick"),
            ("The shade suits my skin tone perfectly.", "lipstick"),
            ("Gentle on my hair, with none of the crunchy ends I used to get.", "curling wand"),
        ],
        complaints=[
            ("{It} broke me out within two days.", SKIN + "|hair oil"),
            ("The smell is overpowering, like a cheap air freshener.", CREAM + "|face wash|masks"),
            ("The pump stopped working when the bottle was still half full.", "lotion|face wash|sunscreen"),
            ("{It} left a white cast that no amount of rubbing would fix.", "sunscreen|moisturizer"),
            ('The label says "fragrance free", but {it} clearly {is}n\'t.', SKIN),
            ("The dryer cut out twice and smelled of burning plastic.", "hair dryer"),
            ("The colour looks nothing like the swatch online.", "lipstick"),
            ("My skin felt tight and itchy after every use.", SKIN),
            ("{It} separated in the jar and turned watery.", "moisturizer"),
            ("The barrel scorched a strand of my hair on the lowest setting.", "curling wand"),
            ("It leaves my hair greasy no matter how little I use.", "hair oil"),
            ("The masks are soaked in so much liquid that they slide straight off my face.", "masks"),
            ("It's so heavy and loud that I dread using it.", "hair dryer"),
            ("It cracked in the tube and crumbles as soon as it touches my lips.", "lipstick"),
            ("The diffuser attachment keeps falling off mid-use.", "hair dryer"),
            ("It settles into every fine line within an hour.", "lipstick"),
            ("It takes ages to heat up and the curls drop out within an hour.", "curling wand"),
            ("The stand is so wobbly that it tipped over onto the dresser.", "curling wand"),
        ],
        mixed=[
            ("Nice texture, but I can't see much difference after a month.", SKIN + "|hair oil"),
            "{It} work{s}, though the packaging is wasteful.",
            ("Good product, a bit overpriced for the size.", CREAM + "|face wash|lipstick"),
            ("The scent grew on me, the results are average.", CREAM),
            "Fine for daily use, nothing special.",
            ("Powerful enough, but heavy to hold for long.", HAIR_TOOL),
            ("Pretty shade, though it dries my lips out by the afternoon.", "lipstick"),
        ],
        minor=[
            ("the lid is fiddly", CREAM + "|face wash"),
            ("the jar is small for the price", "moisturizer"),
            ("the scent is a little strong at first", CREAM),
            ("it takes a minute to sink in", CREAM),
            ("the cord could be longer", HAIR_TOOL),
            ("the bullet is quite small", "lipstick"),
            ("each mask is wrapped in its own plastic sachet", "masks"),
        ],
        titles_good=[
            ("My skin loves it", SKIN),
            "Repurchasing",
            ("Gentle and effective", SKIN + "|hair oil"),
            "Lovely",
            "Finally found the one",
            ("Great results", HAIR_TOOL + "|lipstick|hair oil"),
        ],
        titles_mixed=["It's okay", "Nothing special", "Average results", "Nice but pricey"],
        titles_bad=[
            ("Caused a reaction", SKIN),
            ("Smells awful", CREAM),
            "Not as described",
            "Would not recommend",
            "Returned it",
        ],
    ),
    "home": Category(
        products=[
            product("CloudRest Memory Foam Pillow", "pillow", "textile"),
            product("Linen Blend Blackout Curtains", "curtains", "textile", plural=True),
            product("Nordic Oak Floating Shelf", "shelf", "wall"),
            product("AirPure HEPA Air Purifier", "air purifier"),
            product("Cosy Knit Throw Blanket", "blanket", "textile"),
            product("BrightNest LED Desk Lamp", "lamp"),
            product("Terracotta Plant Pot Set", "pots", plural=True),
            product("EasyHang Picture Frame Set", "frames", "wall", plural=True),
            product("Façade Wall Clock, 30 cm", "clock", "wall"),
            product("SpinClean Microfiber Mop", "mop"),
        ],
        praise=[
            (
                "{It} fit{s} perfectly and make{s} the whole room feel cosier.",
                "curtains|blanket|shelf|lamp|pots|frames|clock",
            ),
            ("I sleep much better since I started using the {p}.", "pillow|curtains|air purifier"),
            ("Assembly took ten minutes and every screw was included.", "shelf|lamp|mop"),
            "{It} look{s} far more expensive than {it} {was}.",
            ("The air smells noticeably fresher after a day of running it.", "air purifier"),
            ("Washed {them} three times already and {it} still look{s} brand new.", "textile"),
            ("The light is warm and easy on the eyes late at night.", "lamp"),
            ("{It} block{s} almost all of the street light from outside.", "curtains"),
            "My neighbour Jürgen liked {them} so much that he ordered the same for himself.",
            ("Holds a full row of heavy cookbooks without sagging.", "shelf"),
            ("The drainage holes and saucers are a really thoughtful touch.", "pots"),
            ("Picks up dust and pet hair in one pass and wrings out easily.", "mop"),
            ("Silent, accurate, and the numbers are easy to read from across the room.", "clock"),
            ("Soft, generously sized and warm without being heavy.", "blanket"),
            ("Firm enough to support my neck, soft enough to sink into.", "pillow"),
            ("The glass is real, and the mats line up perfectly.", "frames"),
        ],
        complaints=[
            ("{It} arrived scratched and one of the brackets was bent.", "shelf|lamp|frames|clock"),
            ("It's flat as a pancake after just two weeks.", "pillow"),
            "The colour is completely different from the photos.",
            ("It's so loud on the lowest setting that I can't sleep with it on.", "air purifier"),
            ("The wall fixings are flimsy and the {p} came down overnight.", "wall|curtains"),
            ('The listing says "machine washable", but {it} shrank badly.', "blanket|curtains"),
            ("{It} started to fray at the edges within a month.", "blanket|curtains"),
            ("The smell out of the box was strong enough to give me a headache.", "textile"),
            ("The ticking is so loud you can hear it from the hallway.", "clock"),
            ("Two of the pots cracked in the first frost.", "pots"),
            ("The mop head fell off the handle the third time I used it.", "mop"),
            ("The lamp flickers at any brightness below maximum.", "lamp"),
            ("Light leaks in around every edge, so the room is barely darker.", "curtains"),
            ("The filter light came on after a week and replacements cost a fortune.", "air purifier"),
            ("The glaze chipped on two of them before I'd even planted anything.", "pots"),
            ("The spinning mechanism jammed within a week.", "mop"),
        ],
        mixed=[
            ("{It} look{s} nice, but the material is thinner than expected.", "textile"),
            ("Works as described, though assembly was fiddly.", "shelf|lamp|mop|air purifier"),
            "Good value, just not very durable.",
            "Pretty, but {itis} smaller than I imagined.",
            ("Comfortable enough, though it took a week to lose the factory smell.", "pillow|blanket"),
            ("Clean design, but the frames are a bit flimsy for heavy prints.", "frames"),
        ],
        minor=[
            ("the instructions are a single diagram", "shelf|lamp|mop|air purifier"),
            "the colour is slightly lighter than pictured",
            ("the screws are not the best quality", "wall"),
            ("{it} crease{s} easily", "curtains|blanket"),
            ("the filter replacements are pricey", "air purifier"),
            ("the cover isn't removable", "pillow"),
            ("the bucket is sold separately", "mop"),
        ],
        titles_good=[
            "Looks great",
            "Exactly as pictured",
            "Very happy with it",
            "Great quality",
            "Perfect fit",
            "Lovely addition to the room",
        ],
        titles_mixed=["Good enough", "Decent value", "Not quite what I expected", "Fine"],
        titles_bad=["Cheaply made", "Arrived damaged", "Not as pictured", "Fell apart", "Returned"],
    ),
    "pets": Category(
        products=[
            product("ChewStrong Rubber Dog Toy", "toy", "dog"),
            product("PurrPerch Cat Tree, 120 cm", "cat tree", "cat"),
            product("FreshPaws Clumping Cat Litter 10kg", "litter", "cat"),
            product("WalkEasy No-Pull Dog Harness", "harness", "dog"),
            product("AquaFlow Pet Water Fountain", "fountain", "cat"),
            product("Cosy Den Orthopedic Dog Bed", "dog bed", "dog"),
            product("Feather Wand Cat Teaser", "teaser", "cat"),
            product("SlowBowl Anti-Gulp Feeder", "bowl", "dog"),
            product("TidyPet Grooming Brush", "brush", "cat"),
        ],
        praise=[
            ("My dog hasn't pulled once since we switched to the {p}.", "harness"),
            ("Our cat ignored every other toy, but she loves this one.", "teaser"),
            ("{It} {has} survived months with a very determined chewer.", "toy|dog bed"),
            ("No more smell in the apartment, and very little dust.", "litter"),
            ("Our old greyhound sleeps on it all afternoon now.", "dog bed"),
            ("It was easy to adjust and fits snugly without rubbing.", "harness"),
            ("My cat drinks much more water since we got the fountain.", "fountain"),
            ("It removes an unbelievable amount of fur without pulling.", "brush"),
            ("Mealtimes take ten minutes instead of thirty seconds, and no more hiccups.", "bowl"),
            ("Sturdy, with plenty of platforms, and both cats fight over the top one.", "cat tree"),
            ("Keeps our puppy busy for ages and bounces in funny directions.", "toy"),
            ("Tough enough for our terrier, and it floats, so it comes to the beach too.", "toy"),
            ("The top platform is wide enough for our big tabby to stretch out on.", "cat tree"),
            ("Lasts much longer than the cheaper brands, so it works out good value.", "litter|brush"),
            ("The reflective strips make evening walks feel a lot safer.", "harness"),
            ("It's so quiet that we forget it's running.", "fountain"),
            ("The cover zips off and comes out of the wash looking new.", "dog bed"),
            ("Ten minutes with this and my cat sleeps the whole evening.", "teaser"),
            ("Sturdy, dishwasher safe and heavy enough that it stays put.", "bowl"),
            ("Both of our pets took to it straight away.", "cat|dog"),
            ("Our cat goes wild for the feathers every evening.", "teaser"),
            ("Quiet, easy to refill and simple to take apart for cleaning.", "fountain|bowl"),
            ("Easy to assemble, and the scratching posts are properly wrapped.", "cat tree"),
            ("Clumps firmly, so scooping takes seconds.", "litter"),
            ("My long-haired cat actually enjoys being brushed now.", "brush"),
        ],
        complaints=[
            ("My dog destroyed it in under ten minutes.", "toy|dog bed"),
            ("The pump started rattling after a week and then stopped completely.", "fountain"),
            ("The strap slipped and my dog backed straight out of it on a busy street.", "harness"),
            ('It\'s advertised as "indestructible", which it very much is not.', "toy|dog bed"),
            ("The litter tracks all over the house and the dust is awful.", "litter"),
            ("The whole thing wobbles so much that my cat refuses to climb it.", "cat tree"),
            ("The stuffing was all over the living room by the next morning.", "dog bed"),
            ("The sizing chart is completely off.", "harness|dog bed"),
            ("The feathers came off the string on the first day.", "teaser"),
            ("It slides across the floor, and my dog just tips it over.", "bowl"),
            ("The bristles are so stiff that my cat runs away when she sees it.", "brush"),
            ("It doesn't clump at all, so cleaning the tray is a nightmare.", "litter"),
            ("One of the platforms came loose after a couple of weeks.", "cat tree"),
            ("The squeaker came out on day one, which is a choking hazard.", "toy"),
            ("The sisal started unravelling within days.", "cat tree"),
            ("The scent is so strong that my cat refused to use the tray.", "litter"),
            ("It rubbed my dog's armpits raw after a week of walks.", "harness"),
            ("It's so noisy that we had to move it out of the bedroom.", "fountain"),
            ("Water leaks out of the base and onto the floor.", "fountain"),
            ("The wand snapped the first time my cat pounced.", "teaser"),
            ("The string is so short that my hand gets scratched every time.", "teaser"),
            ("The ridges are so high that my dog can't reach the food and gives up.", "bowl"),
            ("It cracked in the dishwasher on the very first wash.", "bowl"),
            ("The pins scratched her skin, so I stopped using it.", "brush"),
            ("The self-cleaning button broke within a week.", "brush"),
        ],
        mixed=[
            ("The cat uses it sometimes, mostly she prefers the box it came in.", "cat tree|teaser|fountain"),
            "Good while it lasted, which was about a month.",
            ("Works well, but it's a pain to clean.", "fountain|bowl|dog bed"),
            ("The dog likes it, I'm less keen on the squeak.", "toy"),
            ("Decent quality, though the colours faded quickly.", "harness|dog bed|toy"),
            ("Does the job, though the bag is heavy to carry upstairs.", "litter"),
            ("Gets the loose fur out, but the brush itself is hard to clean.", "brush"),
        ],
        minor=[
            ("the squeaker is very loud", "toy"),
            ("the filter needs changing often", "fountain"),
            ("the clip is a bit stiff", "harness"),
            ("it's hard to wash", "dog bed|harness"),
            ("the cover sheds a little at first", "dog bed|cat tree"),
            ("the bag doesn't reseal", "litter"),
            ("the rubber base marks the floor", "bowl"),
            ("the handle is a bit short", "brush|teaser"),
        ],
        titles_good=[
            ("My dog loves it", "dog"),
            ("Cat approved", "cat"),
            ("Great for our pup", "dog"),
            "Finally, one that lasts",
            "Excellent",
            "Best pet purchase",
        ],
        titles_mixed=["Okay for the price", "Some issues", "Fine", ("Cat is indifferent", "cat")],
        titles_bad=[
            ("Destroyed in minutes", "toy|dog bed"),
            ("Unsafe", "harness|cat tree"),
            "Waste of money",
            ("Cat hates it", "cat"),
            "Poor quality",
        ],
    ),
}

# Sentences that fit any category (unless tagged with category names).
OPENERS: list[Fragment] = [
    "Bought {this} as a gift for my {who}.",
    "I ordered the {p} after reading a lot of reviews.",
    "I've had the {p} for about {when} now.",
    "Picked {this} up on sale.",
    ("{This} replaced one I'd had for years.", "electronics|kitchen|outdoor|home|pets|beauty"),
    "My {who} recommended {them}, so I gave {them} a try.",
    ("This is the second one I've bought.", "electronics|kitchen|toys|home|pets|beauty"),
]
WHO = [
    "wife",
    "husband",
    "mum",
    "dad",
    "sister",
    "brother",
    "partner",
    "best friend",
    "daughter",
    "son",
    "grandmother Zoë",
    "flatmate",
    "colleague",
    "neighbour",
    "uncle Andrés",
]
WHEN = ["two weeks", "a month", "three months", "six months", "a year", "two years"]

CLOSERS_GOOD: list[Fragment] = [
    "Would buy again.",
    "Highly recommend.",
    "Five stars from me.",
    "Already ordered another one for my {who}.",
    "Absolutely worth the money.",
    "Delivery was quick, too.",
    "No regrets at all.",
    ("Our pets are happy, and so am I.", "pets"),
]
CLOSERS_MILD: list[Fragment] = [
    "Still, I'm happy with {them}.",
    "Overall a good buy.",
    "Would recommend, with that one caveat.",
    "Good value overall.",
]
CLOSERS_MIXED: list[Fragment] = [
    "It's fine for the price.",
    "I might look elsewhere next time.",
    "Not bad, not great.",
    "I'll keep {them}, but I'm not thrilled.",
    "Three stars feels about right.",
]
CLOSERS_BAD: list[Fragment] = [
    "Returning {them}.",
    "Save your money.",
    "I wouldn't buy {them} again.",
    "Customer service was no help at all.",
    "Very disappointed.",
    "I've asked for a refund.",
]
SOFTENERS: list[Fragment] = [  # one kind word in an otherwise unhappy review
    "To be fair, {it} arrived quickly.",
    "The packaging was nice, at least.",
    "Customer service did offer a partial refund.",
    "{It} looked good for the first few days.",
    "The price was reasonable, I'll give it that.",
]


def suits(fragment: Fragment, tags: frozenset[str]) -> bool:
    return isinstance(fragment, str) or bool(tags & set(fragment[1].split("|")))


def text_of(fragment: Fragment) -> str:
    return fragment if isinstance(fragment, str) else fragment[0]


class Review:
    """Collects the sentences of one review for one product, never repeating a sentence."""

    def __init__(self, item: Product, category_name: str, rng: random.Random) -> None:
        self.item = item
        self.tags = item.tags | {category_name}
        self.rng = rng
        self.used: set[str] = set()

    def pick(self, pool: list[Fragment]) -> str:
        options = [text_of(f) for f in pool if suits(f, self.tags)]
        fresh = [s for s in options if s not in self.used] or options
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return choice

    def fill(self, sentence: str) -> str:
        plural = self.item.plural
        return sentence.format(
            p=self.item.short,
            It="They" if plural else "It",
            it="they" if plural else "it",
            them="them" if plural else "it",
            This="These" if plural else "This",
            this="these" if plural else "this",
            **{"is": "are" if plural else "is"},
            ItIs="They're" if plural else "It's",
            itis="they're" if plural else "it's",
            has="have" if plural else "has",
            was="were" if plural else "was",
            s="" if plural else "s",
            es="" if plural else "es",
            who=self.rng.choice(WHO),
            when=self.rng.choice(WHEN),
        )


def compose(category: Category, review: Review, rating: int) -> tuple[str, str]:
    """Return (title, review_text) whose tone matches the star rating."""
    rng = review.rng
    length = rng.choices(list(LENGTH_WEIGHTS), weights=list(LENGTH_WEIGHTS.values()))[0]
    but_index: int | None = None  # a mixed review may turn its second idea with "But"
    if rating == 5:
        body = [review.pick(category.praise)]
        if length >= 2:
            body.append(review.pick(category.praise) if rng.random() < 0.6 else review.pick(CLOSERS_GOOD))
        if length >= 3:
            body.insert(0, review.pick(OPENERS))
        if length >= 4:
            body.append(review.pick(CLOSERS_GOOD))
        title = review.pick(category.titles_good)
    elif rating == 4:
        body = [review.pick(category.praise)]
        if length >= 2:
            body.append(f"The only downside is {review.pick(category.minor)}.")
        if length >= 3:
            body.insert(0, review.pick(OPENERS) if rng.random() < 0.5 else review.pick(category.praise))
        if length >= 4:
            body.append(review.pick(CLOSERS_MILD))
        title = review.pick(category.titles_good + category.titles_mixed[:1])
    elif rating == 3:
        if length == 1:
            body = [review.pick(category.mixed)]
        else:
            body = [review.pick(category.praise), review.pick(category.complaints)]
            rng.shuffle(body)
            but_index = 1 if rng.random() < 0.3 else None
            if length >= 3:
                body.append(review.pick(category.mixed + CLOSERS_MIXED))
            if length >= 4:
                body.insert(0, review.pick(OPENERS))
                but_index = 2 if but_index else None
        title = review.pick(category.titles_mixed)
    elif rating == 2:
        body = [review.pick(category.complaints)]
        if length >= 2:
            body.append(review.pick(SOFTENERS))
        if length >= 3:
            body.append(review.pick(category.complaints))
        if length >= 4:
            body.append(review.pick(CLOSERS_BAD))
        title = review.pick(category.titles_bad + category.titles_mixed[-1:])
    else:
        body = [review.pick(category.complaints)]
        if length >= 2:
            body.append(review.pick(CLOSERS_BAD))
        if length >= 3:
            body.insert(1, review.pick(category.complaints))
        if length >= 4:
            body.insert(0, review.pick(OPENERS))
        title = review.pick(category.titles_bad)
    sentences = [review.fill(s) for s in body]
    if but_index is not None:
        sentences[but_index] = _with_but(sentences[but_index])
    return review.fill(title), " ".join(sentences)


def _with_but(sentence: str) -> str:
    """Open with "But" only where it reads naturally: before a plain subject, lower-cased."""
    first = sentence.split(" ", 1)[0]
    if first in {"I", "I've", "I'm"}:
        return "But " + sentence
    if first in {"The", "It", "It's", "They", "My", "Our", "Everything"}:
        return "But " + sentence[0].lower() + sentence[1:]
    return sentence


def check_coverage() -> None:
    """Every product must have enough fragments of each kind, or its reviews would repeat."""
    for name, category in CATEGORIES.items():
        for item in category.products:
            tags = item.tags | {name}
            needs = {
                "praise": (category.praise, 3),
                "complaints": (category.complaints, 3),
                "mixed": (category.mixed, 1),
                "minor": (category.minor, 1),
                "titles_good": (category.titles_good, 2),
                "titles_mixed": (category.titles_mixed, 1),
                "titles_bad": (category.titles_bad, 2),
            }
            for kind, (pool, minimum) in needs.items():
                count = sum(suits(f, tags) for f in pool)
                if count < minimum:
                    raise ValueError(f"{name}/{item.short}: only {count} {kind} fragments")


def generate(rows: int, seed: int = SEED) -> list[dict[str, str]]:
    """Build `rows` reviews with distinct texts, spread fairly over the categories."""
    check_coverage()
    rng = random.Random(seed)
    names = list(CATEGORIES)
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    attempts = 0
    while len(out) < rows:
        attempts += 1
        if attempts > 20 * rows + 1000:
            raise ValueError(f"only {len(out)} distinct reviews could be composed; ask for fewer rows")
        category_name = names[len(out) % len(names)] if rng.random() < 0.7 else rng.choice(names)
        category = CATEGORIES[category_name]
        item = rng.choice(category.products)
        rating = rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
        title, text = compose(category, Review(item, category_name, rng), rating)
        if text in seen:  # every review_text is unique, so a join on text can never collide
            continue
        seen.add(text)
        out.append(
            {
                "review_id": f"R{len(out) + 1:05d}",
                "product": item.name,
                "category": category_name,
                "rating": str(rating),
                "title": title,
                "review_text": text,
            }
        )
    return out


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the bundled product-review sample dataset.")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of reviews (default %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where to write the CSV files")
    args = parser.parse_args()
    rows = generate(args.rows, args.seed)
    write_csv(args.out_dir / "reviews.csv", rows)
    write_csv(args.out_dir / "reviews-small.csv", rows[:SMALL_ROWS])
    print(f"wrote {len(rows)} rows to {args.out_dir / 'reviews.csv'} and {SMALL_ROWS} to reviews-small.csv")


if __name__ == "__main__":
    main()
