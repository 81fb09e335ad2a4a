"""The maps: the hyperparameter map, the basin map and the fair comparison, over
``optimizers.sweeps``. ``common`` validates requests and holds shared figure pieces;
one module per map; ``layout`` the section; ``callbacks`` hand new set-ups to the race
as actions.
"""
