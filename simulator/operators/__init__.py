"""How the CSMS under test is asked to act ("Manual Action" steps): the interface every operator
implements, one async method per action (``interface``, all a user's operator class imports); the
implementations (``manual``, ``http_api``, ``command``, ``citrineos``); what the cases call
(``operator``: trace, time limit, refusals, the manual fallback); the actions a step asks for with the
request each makes the CSMS send (``actions``); and the README's examples taken from a real run
(``examples``). May import ``settings``, ``verdicts`` and ``wire``; never the station, so the station
and its states can use the actions."""
