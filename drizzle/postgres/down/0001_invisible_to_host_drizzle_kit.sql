ALTER TABLE "extension_storage" ALTER COLUMN "id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "extension_storage" ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY (sequence name "extension_storage_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
SELECT setval('"extension_storage_id_seq"', (SELECT coalesce(max("id"), 0) + 1 FROM "extension_storage"), false);
