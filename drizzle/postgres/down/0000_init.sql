DROP TABLE "extension_storage";
