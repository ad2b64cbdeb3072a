export * from './responses.types';
export * from './responses-request.transform';
export * from './responses-response.transform';
export * from './responses-stream.transform';
