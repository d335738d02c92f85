DROP TABLE grid_copies;
