"""The offline stack: DynamoDB Local, a template-driven API Gateway adapter, the sandbox and the site."""
