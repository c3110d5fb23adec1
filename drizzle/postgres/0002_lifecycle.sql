CREATE TABLE "extension_storage_usage" (
	"extension_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"key_count" bigint DEFAULT 0 NOT NULL,
	"max_bytes" bigint,
	"max_keys" bigint
);
--> statement-breakpoint
ALTER TABLE "extension_storage" ADD COLUMN "expires_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "extension_storage_expires_at" ON "extension_storage" USING btree ("expires_at") WHERE "extension_storage"."expires_at" IS NOT NULL;--> statement-breakpoint
-- Usage is kept by the database itself, in the transaction of every change: exact under concurrency
-- (the usage row is locked until commit), and for every path that writes (the library's statements, a
-- host's own SQL, cleanup, expiry purges).
CREATE FUNCTION "extension_storage_track_usage"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO "extension_storage_usage" AS u ("extension_id", "bytes", "key_count") VALUES (NEW."extension_id", NEW."size", 1)
		ON CONFLICT ("extension_id") DO UPDATE SET "bytes" = u."bytes" + EXCLUDED."bytes", "key_count" = u."key_count" + 1;
	ELSIF TG_OP = 'UPDATE' THEN
		UPDATE "extension_storage_usage" SET "bytes" = "bytes" + NEW."size" - OLD."size" WHERE "extension_id" = NEW."extension_id";
	ELSE
		UPDATE "extension_storage_usage" SET "bytes" = "bytes" - OLD."size", "key_count" = "key_count" - 1 WHERE "extension_id" = OLD."extension_id";
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "extension_storage_usage_insert" AFTER INSERT ON "extension_storage"
	FOR EACH ROW EXECUTE PROCEDURE "extension_storage_track_usage"();--> statement-breakpoint
CREATE TRIGGER "extension_storage_usage_resize" AFTER UPDATE OF "size" ON "extension_storage"
	FOR EACH ROW WHEN (OLD."size" <> NEW."size") EXECUTE PROCEDURE "extension_storage_track_usage"();--> statement-breakpoint
CREATE TRIGGER "extension_storage_usage_delete" AFTER DELETE ON "extension_storage"
	FOR EACH ROW EXECUTE PROCEDURE "extension_storage_track_usage"();--> statement-breakpoint
INSERT INTO "extension_storage_usage" ("extension_id", "bytes", "key_count")
	SELECT "extension_id", SUM("size"), COUNT(*) FROM "extension_storage" GROUP BY "extension_id";
--> statement-breakpoint
-- Quotas: the library records each extension's quota in its usage row; a change that would take usage
-- past it, and grows it, is refused in the statement that makes it (shrinking always succeeds). The
-- message carries the usage before the change and the limit.
CREATE FUNCTION "extension_storage_check_quota"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW."max_bytes" IS NOT NULL AND NEW."bytes" > NEW."max_bytes" AND NEW."bytes" > OLD."bytes" THEN
		RAISE EXCEPTION 'extension_storage: quota exceeded: bytes % %', OLD."bytes", NEW."max_bytes";
	END IF;
	IF NEW."max_keys" IS NOT NULL AND NEW."key_count" > NEW."max_keys" AND NEW."key_count" > OLD."key_count" THEN
		RAISE EXCEPTION 'extension_storage: quota exceeded: keys % %', OLD."key_count", NEW."max_keys";
	END IF;
	RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "extension_storage_quota" BEFORE UPDATE ON "extension_storage_usage"
	FOR EACH ROW EXECUTE PROCEDURE "extension_storage_check_quota"();
