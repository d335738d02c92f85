DROP TABLE link_resets;
DROP TABLE link_facets;
DROP TABLE visitors;
DROP TABLE page_counts;
DROP TABLE link_counts;
