--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: journal; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journal (
    run_id bigint NOT NULL,
    seq integer NOT NULL,
    action text NOT NULL,
    kind text NOT NULL,
    source_key text NOT NULL,
    change text NOT NULL,
    status text NOT NULL,
    target_id text DEFAULT ''::text NOT NULL,
    error text DEFAULT ''::text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: links; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.links (
    job text NOT NULL,
    kind text NOT NULL,
    source_key text NOT NULL,
    target_id text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: marks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.marks (
    job text NOT NULL,
    mark text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.runs (
    id bigint NOT NULL,
    job text NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    planned_at timestamp with time zone,
    planned integer DEFAULT 0 NOT NULL,
    applied integer DEFAULT 0 NOT NULL,
    failed integer DEFAULT 0 NOT NULL,
    summary text DEFAULT ''::text NOT NULL,
    error text DEFAULT ''::text NOT NULL
);


--
-- Name: runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL,
    applied_at timestamp with time zone NOT NULL
);


--
-- Name: scim_resources; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scim_resources (
    type text NOT NULL COLLATE pg_catalog."C",
    id text NOT NULL COLLATE pg_catalog."C",
    external_id text DEFAULT ''::text NOT NULL,
    name text NOT NULL,
    name_key text NOT NULL COLLATE pg_catalog."C",
    doc bytea NOT NULL,
    version bigint NOT NULL,
    seq bigint NOT NULL,
    deleted boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone NOT NULL,
    modified_at timestamp with time zone NOT NULL
);


--
-- Name: scim_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scim_sequence (
    id integer NOT NULL,
    seq bigint NOT NULL,
    CONSTRAINT scim_sequence_id_check CHECK ((id = 1))
);


--
-- Data for Name: journal; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.journal VALUES (1, 3, 'create', 'user', 'u3', '{"action":"create","kind":"user","key":"u3","user":{"key":"u3","login_id":"u3","email":"u3@example.com","name":"User u3","attributes":{"department":"本社/営業部/第一課"}},"stage":0}', 'pending', '', '', '2026-12-07 04:47:15.214258+00');
INSERT INTO public.journal VALUES (1, 0, 'create', 'org', 'o1', '{"action":"create","kind":"org","key":"o1","org":{"key":"o1","name":"Org o1"},"stage":0}', 'applied', 'O1', '', '2026-12-07 04:47:15.216689+00');
INSERT INTO public.journal VALUES (1, 1, 'create', 'user', 'u1', '{"action":"create","kind":"user","key":"u1","user":{"key":"u1","login_id":"u1","email":"u1@example.com","name":"User u1","attributes":{"department":"本社/営業部/第一課"}},"stage":0}', 'applied', 'U1', '', '2026-12-07 04:47:15.218015+00');
INSERT INTO public.journal VALUES (1, 2, 'create', 'user', 'u2', '{"action":"create","kind":"user","key":"u2","user":{"key":"u2","login_id":"u2","email":"u2@example.com","name":"User u2","attributes":{"department":"本社/営業部/第一課"}},"stage":0}', 'failed', '', '422 email taken', '2026-12-07 04:47:15.218779+00');
INSERT INTO public.journal VALUES (1, 4, 'delete', 'user', 'u0', '{"action":"delete","kind":"user","key":"u0","target_id":"U0","stage":0}', 'applied', 'U0', '', '2026-12-07 04:47:15.219378+00');
INSERT INTO public.journal VALUES (2, 0, 'create', 'user', 'c1', '{"action":"create","kind":"user","key":"c1","user":{"key":"c1","login_id":"c1","email":"c1@example.com","name":"User c1","attributes":{"department":"本社/営業部/第一課"}},"stage":0}', 'pending', '', '', '2026-12-07 04:47:15.222661+00');
INSERT INTO public.journal VALUES (4, 1, 'create', 'user', 'u5', '{"action":"create","kind":"user","key":"u5","user":{"key":"u5","login_id":"u5","email":"u5@example.com","name":"User u5","attributes":{"department":"本社/営業部/第一課"}},"stage":0}', 'pending', '', '', '2026-12-07 04:47:15.226034+00');
INSERT INTO public.journal VALUES (4, 0, 'create', 'user', 'u4', '{"action":"create","kind":"user","key":"u4","user":{"key":"u4","login_id":"u4","email":"u4@example.com","name":"User u4","attributes":{"department":"本社/営業部/第一課"}},"stage":0}', 'applied', 'U4', '', '2026-12-07 04:47:15.227121+00');


--
-- Data for Name: links; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.links VALUES ('hr', 'group', 'g1', 'G1', '2026-12-07 04:47:15.20459+00', '2026-12-07 04:47:15.20459+00');
INSERT INTO public.links VALUES ('hr', 'org', 'o1', 'O1', '2026-12-07 04:47:15.217379+00', '2026-12-07 04:47:15.217379+00');
INSERT INTO public.links VALUES ('hr', 'user', 'u1', 'U1', '2026-12-07 04:47:15.218323+00', '2026-12-07 04:47:15.218323+00');
INSERT INTO public.links VALUES ('hr', 'user', 'u4', 'U4', '2026-12-07 04:47:15.22744+00', '2026-12-07 04:47:15.22744+00');


--
-- Data for Name: marks; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.marks VALUES ('hr', '20260101000000Z', '2026-12-07 04:47:15.220547+00');


--
-- Data for Name: runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.runs OVERRIDING SYSTEM VALUE VALUES (1, 'hr', 'full', 'failed', '2026-12-07 04:47:15.20589+00', '2026-12-07 04:47:15.220142+00', '2026-12-07 04:47:15.214258+00', 5, 3, 1, '+2 -1, 1 failed', '1 of 5 changes failed');
INSERT INTO public.runs OVERRIDING SYSTEM VALUE VALUES (2, 'crm', 'dry_run', 'dry_run', '2026-12-07 04:47:15.222108+00', '2026-12-07 04:47:15.223491+00', '2026-12-07 04:47:15.222661+00', 1, 0, 0, '+1', '');
INSERT INTO public.runs OVERRIDING SYSTEM VALUE VALUES (3, 'hr', 'incremental', 'refused', '2026-12-07 04:47:15.223783+00', '2026-12-07 04:47:15.224104+00', NULL, 0, 0, 0, 'would delete 80% of users', 'deletion threshold');
INSERT INTO public.runs OVERRIDING SYSTEM VALUE VALUES (4, 'hr', 'incremental', 'running', '2026-12-07 04:47:15.224421+00', NULL, '2026-12-07 04:47:15.226034+00', 2, 1, 0, '', '');


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (1, '2026-12-07 04:47:15.200523+00');
INSERT INTO public.schema_version VALUES (2, '2026-12-07 04:47:15.203639+00');


--
-- Data for Name: scim_resources; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.scim_resources VALUES ('Group', '10000000-0000-0000-0000-000000000001', '', 'Sales', 'sales', '\x7b226d656d62657273223a5b2230303030303030302d303030302d303030302d303030302d303030303030303030303031222c2230303030303030302d303030302d303030302d303030302d303030303030303030303032225d7d', 2, 5, false, '2026-12-07 04:47:15.234818+00', '2026-12-07 04:47:15.238643+00');
INSERT INTO public.scim_resources VALUES ('User', '00000000-0000-0000-0000-000000000001', 'ext-00000000-0000-0000-0000-000000000001', 'Alice@example.com', 'alice@example.com', '\x7b22757365724e616d65223a22416c696365406578616d706c652e636f6d222c22616374697665223a747275657d', 1, 5, false, '2026-12-07 04:47:15.228074+00', '2026-12-07 04:47:15.228074+00');
INSERT INTO public.scim_resources VALUES ('User', '00000000-0000-0000-0000-000000000002', 'ext-00000000-0000-0000-0000-000000000002', 'bob@example.com', 'bob@example.com', '\x7b22757365724e616d65223a22626f62406578616d706c652e636f6d222c22616374697665223a747275657d', 1, 5, false, '2026-12-07 04:47:15.232873+00', '2026-12-07 04:47:15.232873+00');
INSERT INTO public.scim_resources VALUES ('User', '00000000-0000-0000-0000-000000000003', 'ext-00000000-0000-0000-0000-000000000003', 'carol@example.com', 'carol@example.com', '\x7b22757365724e616d65223a226361726f6c406578616d706c652e636f6d222c22616374697665223a747275657d', 1, 6, true, '2026-12-07 04:47:15.234008+00', '2026-12-07 04:47:15.24035+00');


--
-- Data for Name: scim_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.scim_sequence VALUES (1, 6);


--
-- Name: runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.runs_id_seq', 4, true);


--
-- Name: journal journal_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journal
    ADD CONSTRAINT journal_pkey PRIMARY KEY (run_id, seq);


--
-- Name: links links_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.links
    ADD CONSTRAINT links_pkey PRIMARY KEY (job, kind, source_key);


--
-- Name: marks marks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.marks
    ADD CONSTRAINT marks_pkey PRIMARY KEY (job);


--
-- Name: runs runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: scim_resources scim_resources_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scim_resources
    ADD CONSTRAINT scim_resources_pkey PRIMARY KEY (type, id);


--
-- Name: scim_sequence scim_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scim_sequence
    ADD CONSTRAINT scim_sequence_pkey PRIMARY KEY (id);


--
-- Name: journal_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journal_pending ON public.journal USING btree (run_id, seq) WHERE (status = 'pending'::text);


--
-- Name: links_target; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX links_target ON public.links USING btree (job, kind, target_id);


--
-- Name: runs_job; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX runs_job ON public.runs USING btree (job, id);


--
-- Name: runs_running; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX runs_running ON public.runs USING btree (job) WHERE (status = 'running'::text);


--
-- Name: scim_external; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scim_external ON public.scim_resources USING btree (type, external_id) WHERE (NOT deleted);


--
-- Name: scim_live; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scim_live ON public.scim_resources USING btree (type, created_at, id) WHERE (NOT deleted);


--
-- Name: scim_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scim_name ON public.scim_resources USING btree (type, name_key) WHERE (NOT deleted);


--
-- Name: scim_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scim_seq ON public.scim_resources USING btree (seq);


--
-- Name: scim_user_name; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX scim_user_name ON public.scim_resources USING btree (name_key) WHERE ((type = 'User'::text) AND (NOT deleted));


--
-- Name: journal journal_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journal
    ADD CONSTRAINT journal_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


