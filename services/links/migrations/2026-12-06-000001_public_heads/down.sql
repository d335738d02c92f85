DROP TABLE IF EXISTS public_heads;
