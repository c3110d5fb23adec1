CREATE TABLE "extension_storage" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "extension_storage_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"uuid" uuid NOT NULL,
	"extension_id" text COLLATE "C" NOT NULL,
	"user_id" text COLLATE "C" DEFAULT '' NOT NULL,
	"resource_type" text COLLATE "C" DEFAULT '' NOT NULL,
	"resource_id" text COLLATE "C" DEFAULT '' NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"value" "bytea" NOT NULL,
	"value_type" text NOT NULL,
	"category" text COLLATE "C",
	"description" text,
	"is_encrypted" boolean DEFAULT false NOT NULL,
	"size" integer NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"created_by" text,
	"updated_by" text,
	CONSTRAINT "extension_storage_one_scope" CHECK (("extension_storage"."user_id" = '' OR "extension_storage"."resource_type" = '') AND (("extension_storage"."resource_type" = '') = ("extension_storage"."resource_id" = '')))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "extension_storage_uuid" ON "extension_storage" USING btree ("uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "extension_storage_scoped_key" ON "extension_storage" USING btree ("extension_id","user_id","resource_type","resource_id","key");--> statement-breakpoint
CREATE INDEX "extension_storage_scoped_category" ON "extension_storage" USING btree ("extension_id","user_id","resource_type","resource_id","category","key") WHERE "extension_storage"."category" IS NOT NULL;