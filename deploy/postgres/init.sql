-- Creates each service's database on a fresh PostgreSQL (docker-compose).
CREATE DATABASE gridlink_auth;
CREATE DATABASE gridlink_grids;
CREATE DATABASE gridlink_links;
CREATE DATABASE gridlink_analytics;
CREATE DATABASE gridlink_mailer;
